import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { appendSessionEvent } from '../db/queries/session-events.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually } from './helpers/poll.js';
import { freePort } from './helpers/ports.js';
import { buildStreamApp, createConversation, range, StreamClient } from './helpers/stream-client.js';

/** `writers` concurrent writers appending `total` events between them, as parallel tasks of a request do. */
async function writeEvents(db: TestDatabase['db'], conversationId: string, total: number, writers = 4, pauseMs = 0) {
  await Promise.all(
    range(writers, 0).map(async (w) => {
      for (let i = w; i < total; i += writers) {
        await appendSessionEvent(db, { conversationId, kind: 'task.status', payload: { taskId: `t${w}`, status: 'running', n: i } });
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      }
    }),
  );
}

describe('the live stream over WebSocket', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let url: string;
  let deadPort: number;
  const clients: StreamClient[] = [];
  const open = async (base = url) => {
    const c = await StreamClient.open(base);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    deadPort = await freePort();
    app = buildStreamApp(database, deadPort);
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    await app?.close();
    await database?.drop();
  });

  it('delivers every event, in order and once, to 50 subscribers while 4 writers append 200 events', async () => {
    const id = await createConversation(database.db);
    const subscribers = await Promise.all(range(50).map(() => open()));
    await Promise.all(subscribers.map((c) => c.subscribe(id, 0)));

    await writeEvents(database.db, id, 200);
    await Promise.all(subscribers.map((c) => c.waitForEvents(id, 200)));
    for (const c of subscribers) expect(c.seqs(id)).toEqual(range(200));

    const first = subscribers[0]!.frames.find((f) => f.type === 'event')!.event!;
    expect(first).toMatchObject({ v: 1, seq: 1, kind: 'task.status', known: true, payload: { status: 'running' } });
    await Promise.all(subscribers.map((c) => c.close()));
  });

  it('lets a subscriber that disconnects resume from its last seq with nothing missed or repeated', async () => {
    const id = await createConversation(database.db);
    const first = await open();
    await first.subscribe(id, 0);
    const writing = writeEvents(database.db, id, 120, 2, 5);
    await first.waitForEvents(id, 20);
    await first.close();
    const seen = first.seqs(id);

    const again = await open();
    await again.subscribe(id, seen.at(-1)!);
    await writing;
    await again.waitForEvents(id, 120 - seen.length);
    expect([...seen, ...again.seqs(id)]).toEqual(range(120));
  });

  it('gives subscribers that join while events are written neither a gap nor a duplicate', async () => {
    const id = await createConversation(database.db);
    const writing = writeEvents(database.db, id, 150, 3, 2);
    const joined: Array<{ client: StreamClient; after: number }> = [];
    for (const threshold of [1, 40, 90]) {
      await eventually('events written', async () => ((await database.pool.query('select count(*)::int n from session_events where conversation_id = $1', [id])).rows[0].n >= threshold ? true : undefined));
      const fromStart = await open();
      await fromStart.subscribe(id, 0);
      // One that already has the first `threshold` events, as a reloading browser would.
      const resuming = await open();
      await resuming.subscribe(id, threshold);
      joined.push({ client: fromStart, after: 0 }, { client: resuming, after: threshold });
    }
    await writing;
    for (const { client, after } of joined) {
      await client.waitForEvents(id, 150 - after);
      expect(client.seqs(id)).toEqual(range(150 - after, after + 1));
    }
  });

  it('loses nothing when the API restarts mid-stream: the client reconnects to the new process with its seq', async () => {
    const id = await createConversation(database.db);
    const other = buildStreamApp(database, deadPort);
    const otherUrl = await other.listen({ host: '127.0.0.1', port: 0 });
    const client = await open(otherUrl);
    await client.subscribe(id, 0);
    const writing = writeEvents(database.db, id, 100, 4, 10);
    await client.waitForEvents(id, 30);
    await other.close();
    await client.closed;
    const before = client.seqs(id);

    const restarted = buildStreamApp(database, deadPort);
    try {
      const restartedUrl = await restarted.listen({ host: '127.0.0.1', port: 0 });
      const resumed = await open(restartedUrl);
      await resumed.subscribe(id, before.at(-1)!);
      await writing;
      await resumed.waitForEvents(id, 100 - before.length);
      expect([...before, ...resumed.seqs(id)]).toEqual(range(100));
      await resumed.close();
    } finally {
      await restarted.close();
    }
  });

  it('follows several conversations on one socket, each in its own order', async () => {
    const ids = [await createConversation(database.db), await createConversation(database.db)];
    const client = await open();
    for (const id of ids) await client.subscribe(id, 0);
    await Promise.all(ids.map((id) => writeEvents(database.db, id, 30, 2)));
    for (const id of ids) {
      await client.waitForEvents(id, 30);
      expect(client.seqs(id)).toEqual(range(30));
    }
    client.send({ type: 'unsubscribe', conversationId: ids[0] });
    await new Promise((r) => setTimeout(r, 200));
    await writeEvents(database.db, ids[0]!, 5, 1);
    await writeEvents(database.db, ids[1]!, 5, 1);
    await client.waitForEvents(ids[1]!, 35);
    expect(client.seqs(ids[0]!)).toEqual(range(30));
  });
});
