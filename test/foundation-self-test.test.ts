import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { listSessionEvents } from '../db/queries/session-events.js';
import { selfTestWorkflow } from '../workflows/index.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { testDeps } from './helpers/deps.js';
import { connectTestClient, startTestWorker } from './helpers/temporal.js';

describe('a workflow on the real Temporal dev server writing to real Postgres', () => {
  let database: TestDatabase;
  let temporal: Awaited<ReturnType<typeof connectTestClient>>;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    temporal = await connectTestClient();
    worker = await startTestWorker(temporal.taskQueue, await testDeps(database.db));
  });

  afterAll(async () => {
    await worker?.stop();
    await temporal?.connection.close();
    await database?.drop();
  });

  it('runs its activity, whose rows and result agree', async () => {
    const conversationId = randomUUID();
    const result = await temporal.client.workflow.execute(selfTestWorkflow, {
      taskQueue: temporal.taskQueue,
      workflowId: `self-test-${conversationId}`,
      args: [{ conversationId, steps: 3, pauseMs: 10 }],
    });

    expect(result.written).toEqual([1, 2, 3]);
    const events = await listSessionEvents(database.db, conversationId);
    expect(events.map((e) => [e.seq, e.kind, e.payload])).toEqual([
      [1, 'self_test.step', { step: 1, of: 3 }],
      [2, 'self_test.step', { step: 2, of: 3 }],
      [3, 'self_test.step', { step: 3, of: 3 }],
    ]);
  });
});
