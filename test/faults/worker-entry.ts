/**
 * The fault suite's worker process: the product's worker (workers/worker.ts `createWorker`, the same
 * activities, tier router, sandbox and retry profiles as `npm run worker`), with two test-only differences:
 * it loads the prebuilt workflow bundle (so a restart after SIGKILL takes seconds, not a webpack build) and it
 * knows the suite's extra scenarios. A request can ask for a pause before its Assist, advisor or follow-up
 * calls, so the suite can hit those narrow points of a request reliably.
 */
import path from 'node:path';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { requireSetting } from '../../lib/require-setting.js';
import { connectDatabase } from '../../db/client.js';
import { loadScenarios } from '../../llm/scenario.js';
import { createTierRouter } from '../../llm/tier-router.js';
import type { LlmProvider, LlmRequest, LlmResponse } from '../../llm/types.js';
import { sandboxFor } from '../../runtime/workspace/sandbox-context.js';
import { sdkLogger } from '../../workers/sdk-logger.js';
import { createWorker } from '../../workers/worker.js';

const config = loadConfig();
const log = createLogger(config, 'fault-worker');

/**
 * A request whose text says "slow assist", "slow advisor" or "slow followup" gets a pause before each call of
 * that role: the steps whose windows are otherwise milliseconds wide.
 */
const slowRole = (requestText: string) => /\bslow (assist|advisor|followup)\b/i.exec(requestText)?.[1]?.toLowerCase();

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}

/** Wraps the tier router: waits `pauseMs` before the calls of the role the request's text names as slow. */
function slowedFor(inner: LlmProvider, pauseMs: number): LlmProvider {
  return {
    name: inner.name,
    async complete(request: LlmRequest): Promise<LlmResponse> {
      if (pauseMs > 0 && slowRole(request.meta.requestText) === request.role) await sleep(pauseMs, request.signal);
      return inner.complete(request);
    },
  };
}

async function main() {
  Runtime.install({ logger: sdkLogger(log) });
  const databaseUrl = requireSetting('DATABASE_URL', config.database.url);
  const address = requireSetting('TEMPORAL_ADDRESS', config.temporal.address);
  const bundlePath = requireSetting('FAULTS_WORKFLOW_BUNDLE', process.env.FAULTS_WORKFLOW_BUNDLE);
  const database = connectDatabase(databaseUrl, { max: config.worker.dbPoolSize, onError: (err) => log.warn({ reason: err.message }, 'database connection dropped') });
  // The suite's scenarios first: the scripted provider takes the first scenario whose pattern matches.
  const scenarios = [...(await loadScenarios(path.join(import.meta.dirname, 'scenarios'))), ...(await loadScenarios())];
  const connection = await NativeConnection.connect({ address });
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: { codePath: bundlePath },
    deps: {
      db: database.db,
      llm: slowedFor(createTierRouter(config.llm, scenarios), Number(process.env.FAULTS_SLOW_MS ?? 2_500)),
      home: config.home,
      log,
      modelSettings: { prices: config.llm.prices, budgets: config.budgets },
      toolContext: (workdir, project) => ({ sandbox: sandboxFor(workdir, config.unsandboxed, project, config.unbounded) }),
      mail: config.mail,
    },
  });
  log.info({ pid: process.pid, taskQueue: config.temporal.taskQueue }, 'fault worker started');
  try {
    await worker.run();
  } finally {
    await connection.close();
    await database.close();
  }
}

main().catch((err) => {
  log.fatal({ err }, 'fault worker failed');
  process.exit(1);
});
