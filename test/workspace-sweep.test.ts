import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { sweepIdleWorkspaces, touchWorkspace } from '../runtime/workspace/sweep.js';
import { ensureWorkspaceSweepSchedule, WORKSPACE_SWEEP_SCHEDULE } from '../temporal-config/schedules.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { testDeps } from './helpers/deps.js';
import { eventually } from './helpers/poll.js';
import { connectTestClient, startTestWorker } from './helpers/temporal.js';

const HOUR = 3_600_000;

async function makeWorkspace(home: string, projectId: string, idleForMs: number) {
  await touchWorkspace(home, projectId);
  const root = path.join(home, 'workspaces', projectId);
  for (const dir of ['repo', 'requests', 'cache']) await fs.mkdir(path.join(root, dir), { recursive: true });
  const at = new Date(Date.now() - idleForMs);
  await fs.utimes(path.join(root, '.last-used'), at, at);
  return root;
}

describe('the cold tier', () => {
  let database: TestDatabase;
  let deps: Awaited<ReturnType<typeof testDeps>>;
  let temporal: Awaited<ReturnType<typeof connectTestClient>>;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    deps = await testDeps(database.db);
    temporal = await connectTestClient();
    worker = await startTestWorker(temporal.taskQueue, deps);
  });
  afterAll(async () => {
    await temporal?.client.schedule.getHandle(WORKSPACE_SWEEP_SCHEDULE).delete().catch(() => undefined);
    await worker?.stop();
    await temporal?.connection.close();
    await database?.drop();
    await deps?.cleanup();
  });

  it('removes an idle workspace but its caches, and leaves fresh and busy ones alone', async () => {
    const idle = await makeWorkspace(deps.home, 'idle', 3 * HOUR);
    const fresh = await makeWorkspace(deps.home, 'fresh', 0);
    const busy = await makeWorkspace(deps.home, 'busy', 3 * HOUR);
    expect(await sweepIdleWorkspaces(deps.home, 2 * HOUR, new Set(['busy']))).toEqual(['idle']);
    expect((await fs.readdir(idle)).sort()).toEqual(['.last-used', 'cache']);
    expect((await fs.readdir(fresh)).sort()).toEqual(['.last-used', 'cache', 'repo', 'requests']);
    expect((await fs.readdir(busy)).sort()).toEqual(['.last-used', 'cache', 'repo', 'requests']);
  });

  it('runs from a Temporal Schedule, created once however often workers start', async () => {
    const stale = await makeWorkspace(deps.home, 'stale', 5 * HOUR);
    const opts = { taskQueue: temporal.taskQueue, idleMs: 2 * HOUR, everyMinutes: 15 };
    await ensureWorkspaceSweepSchedule(temporal.client, opts);
    await ensureWorkspaceSweepSchedule(temporal.client, opts);
    const handle = temporal.client.schedule.getHandle(WORKSPACE_SWEEP_SCHEDULE);
    const described = await handle.describe();
    expect(described.spec.intervals?.[0]?.every).toBe(15 * 60_000);
    expect(described.action).toMatchObject({ workflowType: 'workspaceSweepWorkflow' });

    await handle.trigger();
    await eventually('the sweep', async () => ((await fs.readdir(stale)).includes('repo') ? undefined : true));
    expect((await fs.readdir(stale)).sort()).toEqual(['.last-used', 'cache']);
  });
});
