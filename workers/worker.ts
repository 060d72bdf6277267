import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { projectRoot } from '../lib/config.js';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { localActivitySlots } from './worker-slots.js';

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
  /** The Postgres pool `deps.db` draws from; bounds the local activities. Absent: the SDK's default bound. */
  dbPoolSize?: number;
  /** How long a shutdown lets in-flight activities finish, and then how long cancelled ones get to stop. */
  shutdown?: { graceMs: number; forceMs: number };
  /**
   * The Worker Deployment Version this worker polls as (docs/rolling-upgrade.md). Absent: unversioned, as the
   * tests' in-process workers and VIBN_WORKER_VERSIONING=off.
   */
  version?: WorkerDeploymentVersion;
  /** A prebuilt workflow bundle (tests build one per run, the worker process to name its build); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
};

const DEFAULT_MAX_ACTIVITIES = 16;

/** The options of a worker that hosts every workflow and activity of the product on one task queue. */
export function workerOptions(setup: WorkerSetup): WorkerOptions {
  const maxActivities = setup.maxActivities ?? DEFAULT_MAX_ACTIVITIES;
  return {
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    activities: createActivities(setup.deps),
    maxConcurrentActivityTaskExecutions: maxActivities,
    ...(setup.dbPoolSize !== undefined ? { maxConcurrentLocalActivityExecutions: localActivitySlots({ dbPoolSize: setup.dbPoolSize, maxActivities }) } : {}),
    // The SDK counts its force time from the start of the shutdown, not from the end of the grace.
    ...(setup.shutdown ? { shutdownGraceTime: setup.shutdown.graceMs, shutdownForceTime: setup.shutdown.graceMs + setup.shutdown.forceMs } : {}),
    // Every workflow type declares its own behaviour (workflows/index.ts); the default only backs up one that
    // forgets, and auto-upgrade is the one that never strands a run on a build that is gone.
    ...(setup.version ? { workerDeploymentOptions: { version: setup.version, useWorkerVersioning: true, defaultVersioningBehavior: 'AUTO_UPGRADE' } } : {}),
    ...(setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath: WORKFLOWS_PATH, bundlerOptions }),
  };
}

/** Builds the worker; it polls once `run()` is called. */
export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  return Worker.create(workerOptions(setup));
}
