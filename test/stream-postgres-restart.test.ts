/**
 * The live stream through Postgres dropping every connection, as a restart or failover does: subscribers stay
 * subscribed and get every seq once, in order, with no resubscribe of their own. Found by the fault suite,
 * whose console froze at the seq before a Postgres kill (a read failing at that moment ended every subscriber).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { connectDatabase, type Db } from '../db/client.js';
import * as schema from '../db/schema.js';
import { appendSessionEvent } from '../db/queries/session-events.js';
import { EventHub, type EndReason, type StoredEvent } from '../api/stream/event-hub.js';
import { READ_RETRY, Subscription, Topic } from '../api/stream/subscription.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually } from './helpers/poll.js';
import { freePort } from './helpers/ports.js';
import { ADMIN_TOKEN, buildStreamApp, createConversation, range, StreamClient } from './helpers/stream-client.js';

const ROUNDS = 5;
const TERMINATE = 'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()';
const silent = { info: () => undefined, warn: () => undefined };

/**
 * Appends events until stopped, on a connection of its own that it opens again when Postgres drops it, retrying
 * each event under its own key as an activity would. (Not on a pool: drizzle's transaction leaks the pooled
 * connection when its `begin` fails, and the pool would then never end.)
 */
function startWriter(url: string, conversationId: string, name: string) {
  let stopped = false;
  let client: pg.Client | undefined;
  const done = (async () => {
    for (let i = 0; !stopped; i++) {
      for (;;) {
        try {
          if (!client) {
            const fresh = new pg.Client({ connectionString: url });
            fresh.on('error', () => undefined);
            client = fresh;
            await fresh.connect();
          }
          await appendSessionEvent(drizzle(client, { schema }), { conversationId, kind: 'task.status', payload: { taskId: name, status: 'running', n: i }, idempotencyKey: `${name}-${i}` });
          break;
        } catch {
          void client?.end().catch(() => undefined);
          client = undefined;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await client?.end().catch(() => undefined);
  })();
  return () => {
    stopped = true;
    return done;
  };
}

/** Follows the SSE route, collecting the seqs; `ended` says whether the server closed the response. */
function followSse(url: string) {
  const abort = new AbortController();
  const seqs: number[] = [];
  const state = { ended: false };
  const reading = (async () => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: abort.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      const blocks = text.split('\n\n');
      text = blocks.pop()!;
      for (const block of blocks) {
        const id = block.split('\n').find((l) => l.startsWith('id: '));
        if (id) seqs.push(Number(id.slice(4)));
      }
    }
    state.ended = true;
  })().catch(() => undefined);
  return { seqs, state, stop: () => (abort.abort(), reading) };
}

describe('the live stream while Postgres drops its connections', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let url: string;
  let admin: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    app = buildStreamApp(database, await freePort());
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    // The connection that terminates the others, and the only one that survives it.
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await app?.close();
    await database?.drop();
  });

  const listenerPid = async (): Promise<number | undefined> =>
    (await admin.query(`select pid from pg_stat_activity where datname = current_database() and query ilike 'LISTEN%'`)).rows[0]?.pid;
  /**
   * Holds the events table locked until a stream read waits on it, then terminates every other backend: the
   * read under way fails, as one did when the fault suite killed Postgres. Writers are inside a transaction
   * nearly always, so the lock waits for one to commit and its notification sends the API reading; when none
   * was, the next attempt catches one.
   */
  async function terminateDuringStreamRead(): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      await admin.query('begin');
      try {
        await admin.query('lock table session_events in access exclusive mode');
        const waiting = await eventually('a stream read waiting on the lock', async () => {
          // Activity is read once per transaction unless cleared.
          await admin.query('select pg_stat_clear_snapshot()');
          const { rows } = await admin.query(`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike 'select %from "session_events"%order by%'`);
          return rows.length > 0 ? true : undefined;
        }, 1_000).catch(() => false);
        if (waiting) {
          await admin.query(TERMINATE);
          return true;
        }
      } finally {
        await admin.query('rollback');
      }
    }
    return false;
  }
  const written = async (id: string): Promise<number> =>
    (await admin.query('select coalesce(max(seq), 0)::int n from session_events where conversation_id = $1', [id])).rows[0].n;

  it(`delivers every seq once, in order, to WebSocket and SSE subscribers through ${ROUNDS} rounds of terminated backends`, { timeout: 120_000 }, async () => {
    const id = await createConversation(database.db);
    const sockets = await Promise.all(range(4).map(() => StreamClient.open(url)));
    await Promise.all(sockets.map((c) => c.subscribe(id, 0)));
    const sse = followSse(`${url}/api/conversations/${id}/stream`);
    const stops = [startWriter(database.url, id, 'a'), startWriter(database.url, id, 'b')];
    let rounds = 0;
    try {
      for (const round of range(ROUNDS)) {
        const before = await written(id);
        await eventually(`round ${round}: new events`, async () => ((await written(id)) >= before + 20 ? true : undefined));
        const listener = await eventually(`round ${round}: the hub listening`, listenerPid);
        // A server that gave up on its subscribers reads no more, and this finds no read to strike: stop there.
        const struck = await terminateDuringStreamRead();
        if (!struck) break;
        await eventually(`round ${round}: the hub listening again`, async () => {
          const pid = await listenerPid();
          return pid !== undefined && pid !== listener ? true : undefined;
        });
        rounds = round;
      }
    } finally {
      await Promise.all(stops.map((stop) => stop()));
    }
    const total = await written(id);
    const all = [...sockets.map((c) => () => c.seqs(id)), () => sse.seqs];
    // A subscriber the server gave up on never gets there: the assertions below say which seqs it missed.
    await eventually('every subscriber at the last seq', async () => (all.every((seqs) => seqs().length >= total) ? true : undefined), 20_000).catch(() => undefined);
    await sse.stop();
    for (const c of sockets) c.ws.terminate();
    for (const c of sockets) {
      expect(c.frames.filter((f) => f.type === 'error')).toEqual([]);
      expect(c.seqs(id)).toEqual(range(total));
    }
    expect(sse.state.ended).toBe(false);
    expect(sse.seqs).toEqual(range(total));
    expect(rounds).toBe(ROUNDS);
  });

  it('answers a subscribe it cannot look up (Postgres away) with stream_interrupted for that conversation, and frees its slot', async () => {
    const away = connectDatabase(`postgres://postgres@127.0.0.1:${await freePort()}/gone`);
    const down = buildStreamApp(away, await freePort());
    try {
      const client = await StreamClient.open(await down.listen({ host: '127.0.0.1', port: 0 }));
      // More than the 20 a connection may hold, one after another: each refusal gives its slot back.
      const ids = range(21).map(() => randomUUID());
      for (const [i, id] of ids.entries()) {
        client.send({ type: 'subscribe', conversationId: id, afterSeq: 0 });
        await eventually(`an answer to subscribe #${i + 1}`, async () => (client.frames.length > i ? true : undefined), 10_000);
      }
      expect(client.frames.map((f) => [f.type, f.code, f.conversationId])).toEqual(ids.map((id) => ['error', 'stream_interrupted', id]));
      client.ws.terminate();
    } finally {
      await down.close();
      await away.close();
    }
  });
});

describe("the event hub's reads from Postgres", () => {
  let database: TestDatabase;
  const hubs: EventHub[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
  });
  afterAll(async () => {
    for (const hub of hubs) await hub.close();
    await database?.drop();
  });

  /** A hub on the test database whose reads fail while `failing.now` holds. */
  function hubWithFailingReads(forMs: number) {
    const failing = { now: true, reads: 0 };
    const db = new Proxy(database.db, {
      get(target, prop, receiver) {
        if (prop !== 'select') return Reflect.get(target, prop, receiver);
        return (...args: Parameters<Db['select']>) => {
          failing.reads += 1;
          if (failing.now) throw new Error('Connection terminated unexpectedly');
          return target.select(...args);
        };
      },
    });
    const hub = new EventHub({ db, connection: { connectionString: database.url }, log: silent, readRetry: { minMs: 10, maxMs: 50, forMs } });
    hubs.push(hub);
    return { hub, failing };
  }

  function recordingSink() {
    const seqs: number[] = [];
    const ended: EndReason[] = [];
    return { seqs, ended, sink: { deliver: (row: StoredEvent) => (seqs.push(row.seq), true), drained: async () => true, ended: (reason: EndReason) => void ended.push(reason) } };
  }

  it('ends the subscription with read_failed once reads have failed for longer than the bound', async () => {
    const { hub, failing } = hubWithFailingReads(300);
    const id = await createConversation(database.db);
    const { ended, seqs, sink } = recordingSink();
    const started = Date.now();
    hub.subscribe(id, 0, sink);
    await eventually('the subscription to end', async () => (ended.length > 0 ? true : undefined), 5_000);
    expect(ended).toEqual(['read_failed']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    // Retried with backoff: a few reads, not a tight loop.
    expect(failing.reads).toBeGreaterThan(2);
    expect(failing.reads).toBeLessThan(20);
    expect(seqs).toEqual([]);
  });

  it('resumes delivery, each seq once, when reads come back within the bound', async () => {
    const { hub, failing } = hubWithFailingReads(60_000);
    const id = await createConversation(database.db);
    for (const _ of range(3)) await appendSessionEvent(database.db, { conversationId: id, kind: 'founder.message', payload: { text: 'hi' } });
    const { ended, seqs, sink } = recordingSink();
    hub.subscribe(id, 0, sink);
    await eventually('reads to fail', async () => (failing.reads >= 3 ? true : undefined), 5_000);
    for (const _ of range(3)) await appendSessionEvent(database.db, { conversationId: id, kind: 'founder.message', payload: { text: 'hi' } });
    failing.now = false;
    await eventually('the events', async () => (seqs.length >= 6 ? true : undefined), 5_000);
    await appendSessionEvent(database.db, { conversationId: id, kind: 'founder.message', payload: { text: 'live' } });
    await eventually('the live event', async () => (seqs.length >= 7 ? true : undefined), 5_000);
    expect(seqs).toEqual(range(7));
    expect(ended).toEqual([]);
  });

  it('still offers a notified seq to a live subscriber when another subscriber has read it for itself', async () => {
    const id = await createConversation(database.db);
    const append = () => appendSessionEvent(database.db, { conversationId: id, kind: 'founder.message', payload: { text: 'hi' } });
    for (const _ of range(3)) await append();
    const topic = new Topic(database.db, id, 200, READ_RETRY, () => undefined);
    const join = async (sink: ReturnType<typeof recordingSink>['sink']) => {
      const sub = new Subscription(topic, 0, sink);
      topic.subs.add(sub);
      await sub.catchUp();
    };
    const live = recordingSink();
    await join(live.sink);
    // Seq 4 commits; before its notification is handled, a late subscriber catches up past it.
    await append();
    const late = recordingSink();
    await join(late.sink);
    topic.notify(4);
    await eventually('seq 4 for the live subscriber', async () => (live.seqs.length >= 4 ? true : undefined), 2_000).catch(() => undefined);
    expect(live.seqs).toEqual(range(4));
    expect(late.seqs).toEqual(range(4));
  });
});
