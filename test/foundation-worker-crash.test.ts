import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { listSessionEvents } from '../db/queries/session-events.js';
import { stopProcess } from '../scripts/processes.js';
import { selfTestWorkflow } from '../workflows/index.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually } from './helpers/poll.js';
import { connectTestClient, spawnTestWorker } from './helpers/temporal.js';

describe('a worker process killed mid-workflow', () => {
  let database: TestDatabase;
  let temporal: Awaited<ReturnType<typeof connectTestClient>>;
  const workers: ChildProcess[] = [];

  const startWorkerProcess = () => {
    const child = spawnTestWorker({ databaseUrl: database.url, taskQueue: temporal.taskQueue });
    workers.push(child);
    return child;
  };

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    temporal = await connectTestClient();
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => stopProcess(w, 2_000)));
    await temporal?.connection.close();
    await database?.drop();
  });

  it('is replaced by a new worker that finishes the run with nothing lost or written twice', { timeout: 240_000 }, async () => {
    const conversationId = randomUUID();
    const steps = 6;
    const first = startWorkerProcess();
    const handle = await temporal.client.workflow.start(selfTestWorkflow, {
      taskQueue: temporal.taskQueue,
      workflowId: `self-test-${conversationId}`,
      args: [{ conversationId, steps, pauseMs: 700 }],
    });

    // Generous: the child worker bundles its workflows first, which takes long on a busy 2-core machine.
    await eventually(
      'two steps written by the first worker',
      async () => {
        const events = await listSessionEvents(database.db, conversationId);
        return events.length >= 2 ? events : undefined;
      },
      120_000,
    );
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const writtenBeforeCrash = (await listSessionEvents(database.db, conversationId)).length;
    expect(writtenBeforeCrash).toBeLessThan(steps);

    startWorkerProcess();
    const result = await handle.result();

    const events = await listSessionEvents(database.db, conversationId);
    expect(result.written).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.map((e) => (e.payload as { step: number }).step)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
