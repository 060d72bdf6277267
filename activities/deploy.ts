/**
 * Deploys a request's commit with the project's deployer. One `deploys` row per request makes a retry find
 * the first attempt: a finished deploy is reported again, never run again.
 */
import { eq } from 'drizzle-orm';
import { DEFAULT_DEPLOY_TIMEOUT_SECONDS, deploySettingsSchema } from '../core/deploy-settings.js';
import { projectRoot } from '../lib/config.js';
import { appendSessionEvent } from '../db/queries/session-events.js';
import { deploys, projects } from '../db/schema.js';
import { runCommandDeploy } from '../runtime/deploy/command-deployer.js';
import type { ActivityDeps } from './deps.js';
import { whileHeartbeating } from './heartbeat.js';

export type DeployOutcome = { status: 'succeeded' | 'failed' | 'skipped'; url?: string | null; logTail?: string };

export function createDeployActivities({ db, home }: Pick<ActivityDeps, 'db' | 'home'>) {
  return {
    async deployWork({ projectId, conversationId, workdir, commit }: { projectId: string; conversationId: string; workdir: string; commit: string }): Promise<DeployOutcome> {
      const [project] = await db.select().from(projects).where(eq(projects.id, projectId));
      const settings = deploySettingsSchema.safeParse(project?.deploy ?? { kind: 'none' });
      if (!settings.success || settings.data.kind === 'none') {
        await appendSessionEvent(db, { conversationId, kind: 'deploy', payload: { status: 'skipped', reason: 'no deployer configured' }, idempotencyKey: `${conversationId}:deploy` });
        return { status: 'skipped' };
      }
      const deploy = settings.data;
      await db.insert(deploys).values({ projectId, conversationId, kind: deploy.kind, commit }).onConflictDoNothing({ target: deploys.conversationId });
      const [row] = await db.select().from(deploys).where(eq(deploys.conversationId, conversationId));
      if (row!.status !== 'started') return { status: row!.status as 'succeeded' | 'failed', url: row!.url, logTail: row!.logTail ?? '' };

      // A row still 'started' means no attempt finished: this one runs the command (deployers are idempotent by commit).
      const result = await whileHeartbeating((signal) => runCommandDeploy({
        command: deploy.command,
        cwd: workdir,
        env: { VIBN_COMMIT: commit, VIBN_WORKDIR: workdir, VIBN_HOME: home, VIBN_ROOT: projectRoot, VIBN_PROJECT_ID: projectId },
        timeoutMs: (deploy.timeoutSeconds ?? DEFAULT_DEPLOY_TIMEOUT_SECONDS) * 1000,
        signal,
      }));
      const status = result.ok ? 'succeeded' : 'failed';
      await db
        .update(deploys)
        .set({ status, logTail: result.logTail, url: deploy.url ?? null, finishedAt: new Date() })
        .where(eq(deploys.conversationId, conversationId));
      await appendSessionEvent(db, {
        conversationId,
        kind: 'deploy',
        payload: { status, commit, url: deploy.url ?? null, exitCode: result.exitCode, timedOut: result.timedOut, logTail: result.logTail.slice(-2_000) },
        idempotencyKey: `${conversationId}:deploy`,
      });
      return { status, url: deploy.url ?? null, logTail: result.logTail };
    },
  };
}
