/**
 * The project's workspace and the integration steps on it: a persistent clone, a worktree per request and
 * per task, merges of finished tasks, one commit per request, the push, and clean-up. Each step is
 * idempotent by request and task id, so a retried activity never commits, merges or pushes twice.
 */
import { ApplicationFailure, log } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import { getConversation } from '../db/queries/conversations.js';
import { appendSessionEvent } from '../db/queries/session-events.js';
import { withWorkspaceLock } from '../db/queries/workspace-lock.js';
import { advisorConversations, agentSessions, projects } from '../db/schema.js';
import { openWorkspace, sweepIdleWorkspaces } from '../runtime/workspace/sweep.js';
import { detectChecks, runChecks } from '../runtime/checks.js';
import { sandboxHealth } from '../runtime/sandbox/index.js';
import type { SandboxHealth } from '../core/sandbox-missing.js';
import { FAILURE } from '../core/failure-types.js';
import { commandContext } from './command-context.js';
import { gitCredentials } from '../db/queries/project-secrets.js';
import { prepareWorkingCopy, pushBranch, PushRejectedError } from '../runtime/git/index.js';
import { taskBranch, workspaceLayout } from '../runtime/workspace/layout.js';
import {
  commitTask,
  ensureRequestWorktree,
  ensureTaskWorktree,
  mergeTask,
  rebaseOntoRemote,
  removeRequestWorktrees,
  SecretInChangeError,
  squashRequest,
  startConflictResolution,
} from '../runtime/workspace/worktrees.js';
import type { ActivityDeps } from './deps.js';
import { whileHeartbeating } from './heartbeat.js';
import { asGitAuthFailure, founderGitAuth } from './git-auth-failure.js';

type RequestRef = { projectId: string; conversationId: string };
type TaskRef = RequestRef & { sessionId: string; taskId: string };

/** The request's integration worktree: where its tasks' work comes together and is committed from. */
export function requestWorkdir(home: string, projectId: string, conversationId: string) {
  return workspaceLayout(home, projectId).requestDir(conversationId);
}

export function createWorkspaceActivities({ db, home, toolContext, disk }: Pick<ActivityDeps, 'db' | 'home' | 'toolContext' | 'disk'>) {
  /** Runs the project's checks on the rebased work before it is pushed; a failure stops the push. */
  async function recheck(projectId: string, conversationId: string, workdir: string) {
    const [p] = await db.select({ allowNetwork: projects.allowNetwork }).from(projects).where(eq(projects.id, projectId));
    const results = await whileHeartbeating(async (signal) =>
      runChecks(await commandContext(toolContext, workdir, { allowNetwork: p?.allowNetwork ?? false }, signal), await detectChecks(workdir)),
    );
    for (const r of results) {
      await appendSessionEvent(db, {
        conversationId,
        kind: 'check.result',
        payload: { name: r.name, command: r.command, ok: r.ok, output: r.output.slice(-4_000), stage: 'after-rebase' },
        idempotencyKey: `${conversationId}:recheck:${r.name}`,
      });
    }
    const failed = results.find((r) => !r.ok);
    if (failed) {
      throw ApplicationFailure.nonRetryable(
        `After bringing in changes pushed meanwhile, the ${failed.name} check failed, so nothing was pushed.`,
        FAILURE.checksFailed,
      );
    }
  }

  async function project(projectId: string) {
    const [row] = await db.select().from(projects).where(eq(projects.id, projectId));
    if (!row) throw ApplicationFailure.nonRetryable(`Project ${projectId} does not exist`, FAILURE.projectNotFound);
    return row;
  }

  return {
    /**
     * Whether this worker can run agent commands at all, asked before a request's code work is planned: a
     * missing sandbox ends the request in plain words at once instead of failing every agent's every command.
     */
    async sandboxReady(): Promise<SandboxHealth> {
      const setting = toolContext(home, { allowNetwork: false }).sandbox;
      const health = await sandboxHealth(setting);
      if (!health.ok) log.error(`Agent commands cannot run on this worker: ${health.reason}. Install the ${health.package} package (${health.fix}).`);
      return health;
    },

    /** Refreshes the project's clone and makes (or finds) the request's integration worktree. */
    async prepareWorkspace({ projectId, conversationId }: RequestRef) {
      const p = await project(projectId);
      const layout = workspaceLayout(home, projectId);
      await openWorkspace(home, projectId, disk);
      const credentials = await gitCredentials(db, projectId);
      const workdir = await whileHeartbeating(() =>
        withWorkspaceLock(db, projectId, async () => {
          await founderGitAuth(credentials, projectId, () => prepareWorkingCopy({ remoteUrl: p.repoUrl, branch: p.defaultBranch, dir: layout.repo, credentials }));
          return ensureRequestWorktree(layout, conversationId, p.defaultBranch);
        }),
      );
      return { workdir };
    },

    /** A task's own worktree, cut from the integration branch; for a conflict resolution, with the conflict in it. */
    async prepareTaskWorkspace({ projectId, conversationId, sessionId, taskId, resolveConflict }: TaskRef & { resolveConflict?: boolean }) {
      const layout = workspaceLayout(home, projectId);
      // The host may have restarted since the request's first step: its disk is mounted again first.
      await openWorkspace(home, projectId, disk);
      return whileHeartbeating(() =>
        withWorkspaceLock(db, projectId, async () => {
          const workdir = await ensureTaskWorktree(layout, conversationId, sessionId, taskId);
          const conflicts = resolveConflict ? await startConflictResolution(workdir, conversationId) : [];
          return { workdir, conflicts };
        }),
      );
    },

    /** Commits a finished task on its branch and merges it into the integration branch, or reports the conflict. */
    async integrateTask({ projectId, conversationId, sessionId, taskId, title, attempt }: TaskRef & { title: string; attempt: number }) {
      const layout = workspaceLayout(home, projectId);
      const result = await whileHeartbeating(() =>
        withWorkspaceLock(db, projectId, async () => {
          await commitTask(layout.taskDir(sessionId), title);
          return mergeTask(layout.requestDir(conversationId), taskBranch(conversationId, taskId), title);
        }),
      ).catch((err) => {
        if (err instanceof SecretInChangeError) throw ApplicationFailure.nonRetryable(`"${title}": ${err.message}`, FAILURE.secretInChange);
        throw err;
      });
      await appendSessionEvent(db, {
        conversationId,
        sessionId,
        kind: result.ok ? 'task.merged' : 'task.conflict',
        payload: { taskId, ...(result.ok ? {} : { conflicts: result.conflicts }) },
        idempotencyKey: `${sessionId}:a${attempt}:merge`,
      });
      return result;
    },

    /** One commit for the whole request, carrying its id as a trailer so a retry never commits twice. */
    async commitWork({ projectId, conversationId, workdir }: RequestRef & { workdir: string }) {
      const p = await project(projectId);
      const conversation = await getConversation(db, conversationId);
      const tasks = await db.select({ plan: agentSessions.plan, status: agentSessions.status }).from(agentSessions).where(eq(agentSessions.conversationId, conversationId));
      const headline = (conversation?.plan?.summary ?? conversation?.requestText ?? 'Work requested by the founder').split('\n')[0]!.slice(0, 72);
      const body = tasks.map((t) => `- ${(t.plan as { title?: string } | null)?.title ?? 'task'}`).join('\n');
      const message = `${headline}\n\n${body}\n\nRequested through VIBN: ${conversation?.requestText?.slice(0, 500) ?? ''}`;
      const result = await whileHeartbeating(() => squashRequest(workdir, p.defaultBranch, message, conversationId));
      await appendSessionEvent(db, { conversationId, kind: 'commit', payload: { commit: result.commit, empty: result.empty }, idempotencyKey: `${conversationId}:commit` });
      return result;
    },

    async pushWork({ projectId, conversationId, workdir }: RequestRef & { workdir: string }) {
      const p = await project(projectId);
      const credentials = await gitCredentials(db, projectId);
      // Someone may have pushed since the request started: land on top of it, and check again what will land.
      const moved = await whileHeartbeating(() => founderGitAuth(credentials, projectId, () => rebaseOntoRemote(workdir, p.defaultBranch, p.repoUrl, credentials)));
      if ('conflicts' in moved) {
        throw ApplicationFailure.nonRetryable(
          `The project's ${p.defaultBranch} branch changed meanwhile and clashes with this work in ${moved.conflicts.join(', ')}; nothing was pushed.`,
          FAILURE.pushRejected,
        );
      }
      if (moved.rebased) await recheck(projectId, conversationId, workdir);
      try {
        // Pushed to the project's URL itself, so its credentials only ever go to that host.
        const result = await whileHeartbeating(() => pushBranch({ dir: workdir, remote: p.repoUrl, branch: p.defaultBranch, credentials }));
        await appendSessionEvent(db, { conversationId, kind: 'push', payload: { ...result, branch: p.defaultBranch }, idempotencyKey: `${conversationId}:push` });
        return result;
      } catch (err) {
        // A branch that moved again during the one rebase is worth another try; a conflict is not.
        if (err instanceof PushRejectedError && !err.retryable) throw ApplicationFailure.nonRetryable(err.message, FAILURE.pushRejected);
        throw asGitAuthFailure(err, credentials, projectId);
      }
    },

    /** The cold tier: removes workspaces unused for `idleMs`, never one a running request needs. */
    async sweepWorkspaces({ idleMs }: { idleMs: number }) {
      const running = await db
        .selectDistinct({ projectId: advisorConversations.projectId })
        .from(advisorConversations)
        .where(eq(advisorConversations.status, 'running'));
      return sweepIdleWorkspaces(home, idleMs, new Set(running.map((r) => r.projectId)));
    },

    /** Removes the request's worktrees and branches: a stopped or failed request leaves nothing half-done behind. */
    async cleanWorkspace({ projectId, conversationId }: RequestRef) {
      const sessions = await db.select({ id: agentSessions.id }).from(agentSessions).where(eq(agentSessions.conversationId, conversationId));
      const layout = workspaceLayout(home, projectId);
      await withWorkspaceLock(db, projectId, () => removeRequestWorktrees(layout, conversationId, sessions.map((s) => s.id)));
    },
  };
}
