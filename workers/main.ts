/**
 * Worker process entry (`npm run worker`): hosts workflows and activities against TEMPORAL_ADDRESS and
 * DATABASE_URL, as one build of the Worker Deployment (docs/rolling-upgrade.md). SIGTERM or SIGINT stops
 * polling and lets in-flight activities finish for VIBN_WORKER_SHUTDOWN_GRACE before cancelling them (the SDK's
 * runtime handles the signal), then exits.
 */
import os from 'node:os';
import { projectDisk } from '../runtime/workspace/project-disk.js';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig } from '../lib/config.js';
import { registerSecrets } from '../lib/redact.js';
import { createLogger } from '../lib/logger.js';
import { requireSetting } from '../lib/require-setting.js';
import { connectDatabase } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { registerSearchAttributes } from '../temporal-config/search-attributes.js';
import { Client, Connection } from '@temporalio/client';
import { ensureWorkspaceSweepSchedule } from '../temporal-config/schedules.js';
import { syncProjectSchedules } from '../temporal-config/project-schedules.js';
import { listProjects } from '../db/queries/projects.js';
import { sdkLogger } from './sdk-logger.js';
import { createWorker } from './worker.js';
import { bundleWorkflows } from './workflow-build.js';
import { promoteWhenPolling } from './promote-version.js';
import { assertSandboxReady } from '../runtime/sandbox/index.js';
import { sandboxFor } from '../runtime/workspace/sandbox-context.js';
import { loadScenarios } from '../llm/scenario.js';
import { createTierRouter } from '../llm/tier-router.js';

const config = loadConfig();
// Model keys never appear in events or logs, whatever prints them.
registerSecrets([config.llm.anthropic.apiKey, config.llm.gemini.apiKey, smtpPassword(config.mail.smtpUrl)]);
const log = createLogger(config, 'worker');

/** The password inside SMTP_URL, if any, so no log line or email ever carries it. */
function smtpPassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

async function main() {
  Runtime.install({ logger: sdkLogger(log) });
  // No agent command runs unsandboxed unless the operator asked for it; without bubblewrap, commands are refused.
  if (config.unsandboxed) log.warn('VIBN_UNSANDBOXED is on: agent commands run without the bubblewrap sandbox');
  else {
    await assertSandboxReady({}).catch((err: Error) =>
      log.error(`${err.message} Until then every agent command is refused (install bubblewrap, or set VIBN_UNSANDBOXED=1 on a trusted machine).`),
    );
  }
  const databaseUrl = requireSetting('DATABASE_URL', config.database.url);
  const address = requireSetting('TEMPORAL_ADDRESS', config.temporal.address);
  await runMigrations(databaseUrl);
  const database = connectDatabase(databaseUrl, {
    max: config.worker.dbPoolSize,
    onError: (err) => log.warn({ reason: err.message }, 'database connection dropped'),
  });

  const client = await Connection.connect({ address });
  const registered = await registerSearchAttributes(client, config.temporal.namespace);
  if (registered.length) log.info({ registered }, 'registered search attributes');
  const scheduleClient = new Client({ connection: client, namespace: config.temporal.namespace });
  await ensureWorkspaceSweepSchedule(scheduleClient, {
    taskQueue: config.temporal.taskQueue,
    idleMs: config.workspaceIdleMs,
    everyMinutes: 15,
  });
  // Every project's monitor and briefing, as its settings say now (the API keeps them in sync; this catches up
  // on whatever it could not reach Temporal for).
  const schedules = await syncProjectSchedules(scheduleClient, await listProjects(database.db), { taskQueue: config.temporal.taskQueue });
  log.info(schedules, 'project schedules in place');
  await client.close();

  const build = await bundleWorkflows(sdkLogger(log));
  const versioning = config.worker.versioning;
  const version = versioning ? { deploymentName: versioning.deploymentName, buildId: versioning.buildId ?? build.buildId } : undefined;
  const connection = await NativeConnection.connect({ address });
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    maxActivities: config.worker.maxActivities,
    dbPoolSize: config.worker.dbPoolSize,
    shutdown: { graceMs: config.worker.shutdownGraceMs, forceMs: config.worker.shutdownForceMs },
    version,
    workflowBundle: { code: build.code },
    deps: {
      db: database.db,
      llm: createTierRouter(config.llm, await loadScenarios()),
      home: config.home,
      log,
      modelSettings: { prices: config.llm.prices, budgets: config.budgets },
      toolContext: (workdir, project) => ({ sandbox: sandboxFor(workdir, config.unsandboxed, project, config.unbounded) }),
      mail: config.mail,
      disk: projectDisk(config),
    },
  });
  log.info(
    { address, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue, version: version ?? 'unversioned', workflowBundle: build.buildId },
    'worker started',
  );
  if (config.llm.scriptedBecause) log.warn(`Using the scripted provider: ${config.llm.scriptedBecause}. Its answers are labelled scripted.`);
  else log.info({ tiers: config.llm.tiers }, 'model tiers');
  if (!config.mail.smtpUrl) log.info('SMTP_URL is not set: notifications stay in the app, no email is sent');
  drainOnSignals();

  const stopping = new AbortController();
  const running = worker.run();
  const promotion =
    version && versioning?.promote
      ? promoteWhenPolling(connection.workflowService, { namespace: config.temporal.namespace, version, identity: `vibn-worker@${os.hostname()}` }, log, {
          signal: stopping.signal,
        })
      : undefined;
  try {
    await running;
  } finally {
    stopping.abort();
    await promotion?.catch((err: unknown) => log.error({ err }, 'promoting the build failed'));
    await connection.close();
    await database.close();
    log.info('worker stopped');
  }
}

/**
 * The SDK's runtime starts the drain on the first SIGTERM or SIGINT and then stops listening, so a second signal
 * would kill the process mid-drain by Node's default action: `npm start` sends SIGTERM after the terminal's
 * Ctrl-C has already reached the worker, and an orchestrator may repeat its signal. Later signals are only
 * logged; what ends a drain that takes too long is VIBN_WORKER_SHUTDOWN_FORCE, or the supervisor's SIGKILL.
 */
function drainOnSignals() {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      log.info({ signal, graceMs: config.worker.shutdownGraceMs, forceMs: config.worker.shutdownForceMs }, 'draining: no new work is taken, in-flight activities get the grace time to finish');
    } else log.info({ signal }, 'already draining');
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

main().catch((err) => {
  log.fatal({ err }, 'worker failed');
  process.exit(1);
});
