/**
 * Deploys a commit with the project's deployer. Each deploy has one `deploys` row, keyed by the request's
 * conversation (its one deploy) or, for a redeploy, by the id the API chose. A retry finds the row: a finished
 * deploy is reported again, never run again.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import { DEPLOY_ATTEMPTS, deploySettingsSchema } from '../core/deploy-settings.js';
import { FAILURE } from '../core/failure-types.js';
import { getProjectSecret } from '../db/queries/project-secrets.js';
import { appendSessionEvent } from '../db/queries/session-events.js';
import { deploys, projects } from '../db/schema.js';
import { projectRoot } from '../lib/config.js';
import { CommitNotFoundError, checkoutCommit } from '../runtime/deploy/checkout-commit.js';
import { createDeployer } from '../runtime/deploy/create-deployer.js';
import { DeployHttpError } from '../runtime/deploy/deploy-http-error.js';
import { redactSecrets, tailOf, type DeployResult } from '../runtime/deploy/deployer.js';
import { prepareSitesDir } from '../runtime/deploy/sites.js';
import { sandboxUser } from '../runtime/sandbox/sandbox-user.js';
import { sitesDir, workspaceLayout } from '../runtime/workspace/layout.js';
import { openWorkspace } from '../runtime/workspace/sweep.js';
import type { ActivityDeps } from './deps.js';
import { whileHeartbeating } from './heartbeat.js';

export type DeployOutcome = {
  status: 'succeeded' | 'failed' | 'skipped';
  url?: string | null;
  logTail?: string;
  /** The deployer gave up waiting: the deploy may still finish on its own. */
  timedOut?: boolean;
  /** The deploy's row, absent when skipped. */
  deployId?: string;
};

export type DeployWorkInput = {
  projectId: string;
  commit: string;
  /** The request whose work this deploys; its events stream gets the deploy event. Null for a redeploy. */
  conversationId?: string | null;
  /** A working copy at `commit`; without one, a command deployer gets a fresh checkout of the commit. */
  workdir?: string;
  /** A redeploy's own id (chosen by the API): its row id, so one request can be deployed more than once. */
  deployId?: string;
};

type DeployRow = typeof deploys.$inferSelect;

const outcomeOf = (row: DeployRow): DeployOutcome => ({
  status: row.status as 'succeeded' | 'failed',
  url: row.url,
  logTail: row.logTail ?? '',
  deployId: row.id,
});

export function createDeployActivities({ db, home, disk }: Pick<ActivityDeps, 'db' | 'home' | 'disk'>) {
  /** The row that makes this deploy idempotent, inserted by the first attempt and found by every retry. */
  async function claimRow(input: DeployWorkInput, kind: string): Promise<DeployRow> {
    const conversationId = input.conversationId ?? null;
    if (input.deployId) {
      await db.insert(deploys).values({ id: input.deployId, projectId: input.projectId, conversationId, kind, commit: input.commit }).onConflictDoNothing({ target: deploys.id });
      const [row] = await db.select().from(deploys).where(eq(deploys.id, input.deployId));
      return row!;
    }
    if (!conversationId) throw ApplicationFailure.nonRetryable('A deploy needs a conversation or a deploy id', FAILURE.invalidDeploy);
    await db.insert(deploys).values({ projectId: input.projectId, conversationId, kind, commit: input.commit }).onConflictDoNothing({ target: deploys.conversationId });
    const [row] = await db.select().from(deploys).where(eq(deploys.conversationId, conversationId));
    return row!;
  }

  return {
    async deployWork(input: DeployWorkInput): Promise<DeployOutcome> {
      const { projectId, commit } = input;
      const conversationId = input.conversationId ?? null;
      const eventKey = conversationId ? `${conversationId}:deploy${input.deployId ? `:${input.deployId}` : ''}` : undefined;
      const [project] = await db.select().from(projects).where(eq(projects.id, projectId));
      if (!project) throw ApplicationFailure.nonRetryable(`Project ${projectId} does not exist`, FAILURE.projectNotFound);
      const settings = deploySettingsSchema.safeParse(project.deploy ?? { kind: 'none' });
      if (!settings.success || settings.data.kind === 'none') {
        if (conversationId) {
          await appendSessionEvent(db, { conversationId, kind: 'deploy', payload: { status: 'skipped', reason: 'no deployer configured' }, idempotencyKey: eventKey });
        }
        return { status: 'skipped' };
      }
      const deploy = settings.data;
      const row = await claimRow(input, deploy.kind);
      if (row.status !== 'started') return outcomeOf(row);

      // A row still 'started' means no attempt finished: this one deploys (deployers are idempotent by commit).
      const secrets = {
        coolifyToken: deploy.kind === 'coolify' ? await getProjectSecret(db, projectId, 'coolify_token') : undefined,
        webhookSecret: deploy.kind === 'webhook' ? await getProjectSecret(db, projectId, 'deploy_webhook_secret') : undefined,
      };
      const hide = (text: string) => redactSecrets(text, [secrets.coolifyToken, secrets.coolifyToken?.split('|').slice(1).join('|'), secrets.webhookSecret]);
      const deployer = createDeployer(deploy, { project: { id: project.id, name: project.name }, conversationId, deployId: row.id, secrets });

      let result: DeployResult;
      if ('problem' in deployer) {
        result = { ok: false, status: 'failed', logTail: `[vibn] ${deployer.problem}` };
      } else {
        const command = deploy.kind === 'command';
        const root = workspaceLayout(home, projectId).root;
        const checkout = command && !input.workdir ? path.join(root, 'deploys', row.id) : undefined;
        // Operator code, still never run as root: as the sandbox user (where VIBN is root), in the project's disk.
        const runAs = command ? sandboxUser() : undefined;
        try {
          if (command) await openWorkspace(home, projectId, disk);
          const sites = command ? await prepareSitesDir(home) : sitesDir(home);
          if (checkout) await whileHeartbeating(() => checkoutCommit({ remoteUrl: project.repoUrl, branch: project.defaultBranch, commit, dir: checkout }));
          const workdir = checkout ?? input.workdir!;
          result = await whileHeartbeating((signal) =>
            deployer.deploy({
              commit,
              workdir,
              env: { VIBN_COMMIT: commit, VIBN_WORKDIR: workdir, VIBN_HOME: home, VIBN_ROOT: projectRoot, VIBN_PROJECT_ID: projectId, VIBN_SITES: sites },
              signal,
              onProgress: (progress) => Context.current().heartbeat(progress),
              // Kept by deploy id: a retry after this worker died adopts the command instead of running it twice.
              stateDir: runAs ? path.join(root, 'deploy-runs', row.id) : path.join(home, 'deploy-runs', row.id),
              runAs,
            }),
          );
        } catch (err) {
          const attempt = Context.current().info.attempt;
          if (err instanceof DeployHttpError && err.retryable && attempt < DEPLOY_ATTEMPTS) throw err;
          if (!(err instanceof DeployHttpError) && !(err instanceof CommitNotFoundError)) throw err;
          const why = err instanceof DeployHttpError && err.retryable ? `still failing after ${attempt} attempts: ` : '';
          result = { ok: false, status: 'failed', logTail: `[vibn] the deploy could not be done, ${why}${err.message}` };
        } finally {
          if (checkout) await fs.rm(checkout, { recursive: true, force: true });
        }
      }

      const status = result.ok ? 'succeeded' : 'failed';
      const logTail = tailOf(hide(result.logTail));
      const url = result.url ?? null;
      await db.update(deploys).set({ status, logTail, url, finishedAt: new Date() }).where(eq(deploys.id, row.id));
      if (conversationId) {
        await appendSessionEvent(db, {
          conversationId,
          kind: 'deploy',
          payload: { status, commit, url, deployer: deploy.kind, timedOut: result.status === 'timed_out', deployId: row.id, logTail: logTail.slice(-2_000) },
          idempotencyKey: eventKey,
        });
      }
      return { status, url, logTail, deployId: row.id, ...(result.status === 'timed_out' ? { timedOut: true } : {}) };
    },
  };
}
