/**
 * One worker process of bench:load: the product's workflows and activities on the bench's task queue, with the
 * scripted provider playing the scenarios the bench wrote to LOAD_SCENARIOS (the production entry only reads
 * llm/scenarios/). On SIGTERM it drains like `npm run worker`, then prints one JSON line with what it handled,
 * its CPU time and its peak memory, for the bench to read.
 */
import fs from 'node:fs/promises';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { connectDatabase } from '../db/client.js';
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { scenarioSchema } from '../llm/scenario.js';
import { ScriptedProvider } from '../llm/scripted-provider.js';
import { sandboxFor } from '../runtime/workspace/sandbox-context.js';
import { sdkLogger } from '../workers/sdk-logger.js';
import { REPORT_PREFIX, type WorkerReport } from './load-report.js';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`bench/load-worker.ts needs ${name}`);
  return value;
};

async function main() {
  const config = loadConfig();
  // The product's logger at the configured level, so the bench pays for logging as a deployment does.
  const log = createLogger(config, 'load-worker');
  Runtime.install({ logger: sdkLogger(log) });
  const identity = env('LOAD_WORKER_IDENTITY');
  const scenarios = scenarioSchema.array().parse(JSON.parse(await fs.readFile(env('LOAD_SCENARIOS'), 'utf8')));
  // The production pool size, so the connection count the bench reports is the one a deployment would see.
  const database = connectDatabase(env('DATABASE_URL'), { max: config.worker.dbPoolSize });
  const counts: Record<string, number> = {};
  const activities = Object.fromEntries(
    Object.entries(
      createActivities({
        db: database.db,
        llm: new ScriptedProvider(scenarios),
        home: env('VIBN_HOME'),
        log,
        modelSettings: { prices: config.llm.prices, budgets: config.budgets },
        toolContext: (workdir, project) => ({ sandbox: sandboxFor(workdir, config.unsandboxed, project, config.unbounded) }),
      }),
    ).map(([name, fn]) => [
      name,
      (...args: unknown[]) => {
        counts[name] = (counts[name] ?? 0) + 1;
        return (fn as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  );
  const connection = await NativeConnection.connect({ address: env('TEMPORAL_ADDRESS') });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    identity,
    activities,
    maxConcurrentActivityTaskExecutions: config.worker.maxActivities,
    workflowBundle: { codePath: env('LOAD_WORKFLOW_BUNDLE') },
  });
  console.log('LOAD-WORKER-READY');
  await worker.run();
  await connection.close();
  await database.close();
  const cpu = process.cpuUsage();
  const report: WorkerReport = {
    identity,
    pid: process.pid,
    activities: counts,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  console.log(REPORT_PREFIX + JSON.stringify(report));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
