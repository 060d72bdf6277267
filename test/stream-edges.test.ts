import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { parseEvent } from '../core/events.js';
import { appendSessionEvent } from '../db/queries/session-events.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually } from './helpers/poll.js';
import { freePort } from './helpers/ports.js';
import { ADMIN_TOKEN, buildStreamApp, createConversation, range, StreamClient } from './helpers/stream-client.js';

const append = (db: TestDatabase['db'], conversationId: string, kind = 'founder.message', payload: Record<string, unknown> = { text: 'hi' }) =>
  appendSessionEvent(db, { conversationId, kind, payload });

/** Reads an SSE response until `done` holds for the events parsed so far, then aborts it. */
async function readSse(url: string, headers: Record<string, string>, done: (events: Array<{ id: number; event: string; data: any }>) => boolean) {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers }, signal: abort.signal });
  const events: Array<{ id: number; event: string; data: any }> = [];
  let text = '';
  const reader = res.body!.getReader();
  try {
    while (!done(events)) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      text += new TextDecoder().decode(value);
      const blocks = text.split('\n\n');
      text = blocks.pop()!;
      for (const block of blocks) {
        const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
        if (fields.id) events.push({ id: Number(fields.id), event: fields.event!, data: JSON.parse(fields.data!) });
      }
    }
  } finally {
    abort.abort();
  }
  return { status: res.status, type: res.headers.get('content-type'), events };
}

describe('the live stream at its edges', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let url: string;
  const clients: StreamClient[] = [];
  const open = async () => {
    const c = await StreamClient.open(url);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    app = buildStreamApp(database, await freePort());
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    await app?.close();
    await database?.drop();
  });

  it('resumes Server-Sent Events after Last-Event-ID (or ?after=), then follows live', async () => {
    const id = await createConversation(database.db);
    for (const i of range(10)) await append(database.db, id, 'founder.message', { text: `m${i}` });
    const live = setTimeout(() => void Promise.all(range(5).map(() => append(database.db, id))), 300);
    const resumed = await readSse(`${url}/api/conversations/${id}/stream`, { 'last-event-id': '4' }, (e) => e.length >= 11);
    clearTimeout(live);
    expect(resumed.status).toBe(200);
    expect(resumed.type).toMatch(/^text\/event-stream/);
    expect(resumed.events.map((e) => e.id)).toEqual(range(11, 5));
    expect(resumed.events[0]).toMatchObject({ event: 'founder.message', data: { v: 1, seq: 5, kind: 'founder.message', payload: { text: 'm5' } } });

    await eventually('the live events', async () => ((await database.pool.query('select max(seq) m from session_events where conversation_id=$1', [id])).rows[0].m >= 15 ? true : undefined));
    const byQuery = await readSse(`${url}/api/conversations/${id}/stream?after=12`, {}, (e) => e.length >= 3);
    expect(byQuery.events.map((e) => e.id)).toEqual([13, 14, 15]);

    const missing = await fetch(`${url}/api/conversations/${crypto.randomUUID()}/stream`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('conversation_not_found');
  });

  it('drops a client that stops reading with 4008, and it resumes from its last seq', { timeout: 90_000 }, async () => {
    const id = await createConversation(database.db);
    const slow = await open();
    await slow.subscribe(id, 0);
    slow.pauseReading();
    const big = 'lorem ipsum dolor sit amet '.repeat(10_000); // ~270 KB per event
    // Loopback socket buffers take several MB before the server's own buffer grows: ~27 MB is well past both.
    const written = 100;
    for (let i = 0; i < written; i++) {
      await append(database.db, id, 'agent.tool_result', { toolUseId: `u${i}`, name: 'read_file', output: big, isError: false });
    }
    // Over its bound, the server waits up to 10 s for the client to drain before dropping it.
    await new Promise((r) => setTimeout(r, 11_000));
    slow.resumeReading();
    expect(await slow.closed).toEqual({ code: 4008, reason: 'too slow, resume from your last seq' });
    const got = slow.seqs(id);
    expect(got).toEqual(range(got.length));

    const again = await open();
    await again.subscribe(id, got.at(-1) ?? 0);
    await again.waitForEvents(id, written - got.length);
    expect([...got, ...again.seqs(id)]).toEqual(range(written));
  });

  it('answers bad frames with an error frame and keeps serving the socket', async () => {
    const client = await open();
    const id = await createConversation(database.db);
    const errors = () => client.frames.filter((f) => f.type === 'error');
    client.send('not json');
    client.send({ type: 'subscribe', conversationId: 'nope', afterSeq: 0 });
    client.send({ type: 'subscribe', conversationId: id, afterSeq: -1 });
    client.send({ type: 'dance' });
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    client.send({ type: 'subscribe', conversationId: crypto.randomUUID(), afterSeq: 0 });
    await eventually('six error frames', async () => (errors().length >= 6 ? true : undefined));
    expect(errors().map((f) => [f.code, f.status])).toEqual([
      ['invalid_frame', 400],
      ['invalid_frame', 400],
      ['invalid_frame', 400],
      ['invalid_frame', 400],
      ['invalid_frame', 400],
      ['conversation_not_found', 404],
    ]);
    await append(database.db, id);
    await client.subscribe(id, 0);
    await client.waitForEvents(id, 1);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
  });

  it('refuses a 21st subscription on one connection', async () => {
    const client = await open();
    const ids = await Promise.all(range(21).map(() => createConversation(database.db)));
    for (const id of ids.slice(0, 20)) await client.subscribe(id, 0);
    client.send({ type: 'subscribe', conversationId: ids[20], afterSeq: 0 });
    await eventually('the refusal', async () => (client.frames.some((f) => f.type === 'error') ? true : undefined));
    expect(client.frames.find((f) => f.type === 'error')).toMatchObject({ code: 'too_many_subscriptions', status: 429, conversationId: ids[20] });
  });

  it('keeps streaming when its LISTEN connection is killed: events written meanwhile still arrive', async () => {
    const id = await createConversation(database.db);
    const client = await open();
    await client.subscribe(id, 0);
    await append(database.db, id);
    await client.waitForEvents(id, 1);
    const killed = await database.pool.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike 'LISTEN%'`,
    );
    expect(killed.rowCount).toBe(1);
    for (const _ of range(5)) await append(database.db, id);
    await client.waitForEvents(id, 6);
    for (const _ of range(5)) await append(database.db, id);
    await client.waitForEvents(id, 11);
    expect(client.seqs(id)).toEqual(range(11));
  });

  it('sends every kind in the v1 envelope, model output flagged scripted, unknown kinds passed through', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const row = (kind: string, payload: unknown) => ({ seq: 7, kind, sessionId: null, payload, createdAt: at });
    expect(parseEvent(row('assistant.message', { text: 'Hi', replyKind: 'answer', scripted: true }))).toEqual({
      v: 1, seq: 7, sessionId: null, at: at.toISOString(), scripted: true, kind: 'assistant.message', known: true, payload: { text: 'Hi', replyKind: 'answer', scripted: true },
    });
    expect(parseEvent(row('commit', { commit: 'abc', empty: false }))).not.toHaveProperty('scripted');
    expect(parseEvent(row('mystery.kind', { x: 1 }))).toMatchObject({ kind: 'mystery.kind', known: false, payload: { x: 1 } });
    expect(parseEvent(row('plan.card', 'not an object'))).toMatchObject({ kind: 'plan.card', known: false, scripted: false });
    expect(parseEvent(row('deploy', { status: 'succeeded', extra: 1 }))).toMatchObject({ known: true, payload: { status: 'succeeded', extra: 1 } });
  });
});
