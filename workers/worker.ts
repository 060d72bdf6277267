import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { projectRoot } from '../lib/config.js';
import { createActivities, type ActivityDeps } from '../activities/index.js';

export const WORKFLOWS_PATH = path.join(projectRoot, 'workflows', 'index.ts');

/**
 * Workflow sources import each other with `.js` specifiers (Node ESM style); the bundler must find the `.ts`
 * file behind each one.
 */
export const bundlerOptions: WorkerOptions['bundlerOptions'] = {
  webpackConfigHook: (config) => {
    config.resolve = { ...config.resolve, extensionAlias: { '.js': ['.ts', '.js'] } };
    return config;
  },
};

export type WorkerSetup = {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** Activities run at once (Temporal's default is 100: far more than a worker's database pool serves). */
  maxActivities?: number;
  /** A prebuilt workflow bundle (tests build one per run); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
};

const DEFAULT_MAX_ACTIVITIES = 16;

/** Builds a worker that hosts every workflow and activity of the product on one task queue. */
export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    activities: createActivities(setup.deps),
    maxConcurrentActivityTaskExecutions: setup.maxActivities ?? DEFAULT_MAX_ACTIVITIES,
    ...(setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath: WORKFLOWS_PATH, bundlerOptions }),
  });
}
