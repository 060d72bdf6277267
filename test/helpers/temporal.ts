import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import type { ActivityDeps } from '../../activities/index.js';
import { spawnEntry } from '../../scripts/processes.js';
import { sdkLogger } from '../../workers/sdk-logger.js';
import { createWorker } from '../../workers/worker.js';
import { productLogger } from './logs.js';

let runtimeQuiet = false;

/** A client on the run's dev server and a task queue no other test file uses. */
export async function connectTestClient() {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const client = new Client({ connection, namespace: inject('temporalNamespace') });
  return { connection, client, taskQueue: `test-${randomUUID()}` };
}

/** An in-process worker on the prebuilt workflow bundle, running until `stop()`. */
export async function startTestWorker(taskQueue: string, deps: ActivityDeps) {
  if (!runtimeQuiet) {
    // The SDK logs through the product's logger at its default level, as in a worker; the test runner, not the
    // SDK, decides when a test process stops.
    Runtime.install({ logger: sdkLogger(productLogger('worker').logger), shutdownSignals: [] });
    runtimeQuiet = true;
  }
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const worker: Worker = await createWorker({
    connection,
    namespace: inject('temporalNamespace'),
    taskQueue,
    deps,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  const running = worker.run();
  return {
    worker,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/**
 * The real worker process (`workers/main.ts`) on the run's dev server, a test database and task queue, with the
 * product's settings (a versioned build that promotes itself) unless `env` says otherwise. Each task queue gets
 * a Worker Deployment of its own: test files share one server, and a build made current in one deployment
 * routes every task queue of that deployment.
 */
export function spawnTestWorker(opts: { databaseUrl: string; taskQueue: string; home?: string; env?: NodeJS.ProcessEnv }): ChildProcess {
  return spawnEntry(
    'workers/main.ts',
    {
      ...process.env,
      DATABASE_URL: opts.databaseUrl,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      TEMPORAL_TASK_QUEUE: opts.taskQueue,
      VIBN_WORKER_DEPLOYMENT: `vibn-${opts.taskQueue}`,
      ...(opts.home ? { VIBN_HOME: opts.home } : {}),
      LOG_FORMAT: 'json',
      ...opts.env,
    },
    'inherit',
  );
}
