import type { NativeConnection } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../activities/index.js';
import { loadConfig } from '../lib/config.js';
import { workerOptions } from './worker.js';
import { localActivitySlots, MIN_LOCAL_ACTIVITY_SLOTS } from './worker-slots.js';

// Options are computed without a server: the connection and the activities' dependencies are never touched.
const base = { connection: {} as NativeConnection, namespace: 'default', taskQueue: 'vibn', deps: {} as ActivityDeps };

describe('the worker options', () => {
  it('bound local activities to the pool the regular activities leave over', () => {
    const { worker } = loadConfig({});
    expect(localActivitySlots(worker)).toBe(40 - 2 * 16);
    expect(localActivitySlots({ dbPoolSize: 100, maxActivities: 10 })).toBe(80);
    expect(localActivitySlots({ dbPoolSize: 20, maxActivities: 16 })).toBe(MIN_LOCAL_ACTIVITY_SLOTS);
    const options = workerOptions({ ...base, maxActivities: worker.maxActivities, dbPoolSize: worker.dbPoolSize });
    expect(options).toMatchObject({ maxConcurrentActivityTaskExecutions: 16, maxConcurrentLocalActivityExecutions: 8 });
  });

  it('drain for the grace time and give up the force time after it (the SDK counts both from the start)', () => {
    const options = workerOptions({ ...base, shutdown: { graceMs: 120_000, forceMs: 30_000 } });
    expect(options).toMatchObject({ shutdownGraceTime: 120_000, shutdownForceTime: 150_000 });
  });

  it('poll as a deployment version when given one, unversioned otherwise', () => {
    const version = { deploymentName: 'vibn', buildId: 'wf-0123456789abcdef' };
    expect(workerOptions({ ...base, version }).workerDeploymentOptions).toEqual({ version, useWorkerVersioning: true, defaultVersioningBehavior: 'AUTO_UPGRADE' });
    expect(workerOptions(base).workerDeploymentOptions).toBeUndefined();
  });
});
