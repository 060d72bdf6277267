/**
 * The request's working copy of the project's repository, and the integration steps on it: commit, push,
 * clean. Each step is idempotent by the request id, so a retried activity never commits or pushes twice.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import { getConversation } from '../db/queries/conversations.js';
import { appendSessionEvent } from '../db/queries/session-events.js';
import { agentSessions, projects } from '../db/schema.js';
import { commitAll, prepareWorkingCopy, pushBranch, PushRejectedError } from '../runtime/git/index.js';
import type { ActivityDeps } from './deps.js';
import { whileHeartbeating } from './heartbeat.js';

type RequestRef = { projectId: string; conversationId: string };

export function requestWorkdir(home: string, projectId: string, conversationId: string) {
  return path.join(home, 'workspaces', projectId, 'requests', conversationId);
}

export function createWorkspaceActivities({ db, home }: Pick<ActivityDeps, 'db' | 'home'>) {
  async function project(projectId: string) {
    const [row] = await db.select().from(projects).where(eq(projects.id, projectId));
    if (!row) throw ApplicationFailure.nonRetryable(`Project ${projectId} does not exist`, 'ProjectNotFound');
    return row;
  }

  return {
    /** Clones (or reuses, keeping work in progress) the request's working copy of the default branch. */
    async prepareWorkspace({ projectId, conversationId }: RequestRef) {
      const p = await project(projectId);
      const workdir = requestWorkdir(home, projectId, conversationId);
      const { head } = await whileHeartbeating(() => prepareWorkingCopy({ remoteUrl: p.repoUrl, branch: p.defaultBranch, dir: workdir }));
      return { workdir, head };
    },

    async commitWork({ projectId, conversationId, workdir }: RequestRef & { workdir: string }) {
      const conversation = await getConversation(db, conversationId);
      const tasks = await db.select({ plan: agentSessions.plan }).from(agentSessions).where(eq(agentSessions.conversationId, conversationId));
      const headline = (conversation?.plan?.summary ?? conversation?.requestText ?? 'Work requested by the founder').split('\n')[0]!.slice(0, 72);
      const body = tasks.map((t) => `- ${(t.plan as { title?: string } | null)?.title ?? 'task'}`).join('\n');
      const result = await whileHeartbeating(() => commitAll({ dir: workdir, message: `${headline}\n\n${body}\n\nRequested through VIBN: ${conversation?.requestText?.slice(0, 500) ?? ''}`, requestId: conversationId }));
      await appendSessionEvent(db, { conversationId, kind: 'commit', payload: { commit: result.commit, empty: result.empty }, idempotencyKey: `${conversationId}:commit` });
      return { commit: result.commit, empty: result.empty };
    },

    async pushWork({ projectId, conversationId, workdir }: RequestRef & { workdir: string }) {
      const p = await project(projectId);
      try {
        const result = await whileHeartbeating(() => pushBranch({ dir: workdir, branch: p.defaultBranch }));
        await appendSessionEvent(db, { conversationId, kind: 'push', payload: { ...result, branch: p.defaultBranch }, idempotencyKey: `${conversationId}:push` });
        return result;
      } catch (err) {
        // A branch that moved again during the one rebase is worth another try; a conflict is not.
        if (err instanceof PushRejectedError && !err.retryable) throw ApplicationFailure.nonRetryable(err.message, 'PushRejected');
        throw err;
      }
    },

    /** Removes the request's working copy: a stopped or failed request leaves nothing half-done behind. */
    async cleanWorkspace({ projectId, conversationId }: RequestRef) {
      await fs.rm(requestWorkdir(home, projectId, conversationId), { recursive: true, force: true });
    },
  };
}
