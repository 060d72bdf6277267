/**
 * bench:stream — how long an event takes from its commit in Postgres to a founder's screen. A writer appends
 * events one by one; WebSocket clients on /api/stream record when each arrives. The same events are then read
 * the old way, by a client polling GET /api/conversations/:id/events every second. All on loopback, one
 * process (server, clients and writer share its CPU, so the many-subscriber rows are a pessimistic bound).
 */
import { createBenchDatabase } from './database.js';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import WebSocket from 'ws';
import { buildApp } from '../api/app.js';
import { connectDatabase } from '../db/client.js';
import { insertRequestConversation } from '../db/queries/conversation-views.js';
import { appendSessionEvent } from '../db/queries/session-events.js';
import { loadConfig } from '../lib/config.js';
import { removeStateFolder } from '../runtime/workspace/project-disk.js';

const EVENTS = 2_000;
const SUBSCRIBERS = [1, 50, 200];
const POLL_MS = 1_000;
/** Pause between appends, so the writer sets a steady pace rather than a burst that only measures a queue. */
const PACE_MS = 2;
const ADMIN_TOKEN = `bench-${randomUUID()}`;
const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentiles(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { p50: at(50), p95: at(95), p99: at(99), mean, max: sorted.at(-1)! };
}

/** Appends EVENTS events; returns when each commit was acknowledged (performance.now), by seq. */
async function write(db: ReturnType<typeof connectDatabase>['db'], conversationId: string): Promise<Float64Array> {
  const committed = new Float64Array(EVENTS + 1);
  for (let i = 1; i <= EVENTS; i++) {
    const { seq } = await appendSessionEvent(db, { conversationId, kind: 'task.status', payload: { taskId: 'bench', status: 'running', n: i } });
    committed[seq] = performance.now();
    await sleep(PACE_MS);
  }
  return committed;
}

/** A WebSocket subscriber that only records arrival times. */
async function subscriber(baseUrl: string, conversationId: string) {
  const arrived = new Float64Array(EVENTS + 1);
  let count = 0;
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/stream`, { headers });
  const subscribed = new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; event?: { seq: number } };
      if (frame.type === 'subscribed') resolve();
      else if (frame.type === 'event') {
        arrived[frame.event!.seq] = performance.now();
        count += 1;
      } else reject(new Error(String(data)));
    });
    ws.once('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'subscribe', conversationId, afterSeq: 0 }));
  await subscribed;
  return { arrived, count: () => count, close: () => ws.terminate() };
}

/** The pre-stream console: GET the events after the last seen seq, once a second. */
function poller(baseUrl: string, conversationId: string) {
  const arrived = new Float64Array(EVENTS + 1);
  let last = 0;
  let stopped = false;
  const done = (async () => {
    while (!stopped && last < EVENTS) {
      const res = await fetch(`${baseUrl}/api/conversations/${conversationId}/events?after=${last}&limit=1000`, { headers });
      const { events } = (await res.json()) as { events: Array<{ seq: number }> };
      const now = performance.now();
      for (const e of events) arrived[e.seq] = now;
      last = events.at(-1)?.seq ?? last;
      if (events.length < 1000) await sleep(POLL_MS);
    }
  })();
  return { arrived, done, stop: () => (stopped = true) };
}

async function main() {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-bench-stream-'));
  await fs.chmod(home, 0o755);
  const log = pino({ level: 'warn' });
  const stops: Array<() => Promise<unknown>> = [];
  const { database, stop: dropDatabase } = await createBenchDatabase({ serverUrl: loadConfig().database.url, home, embeddedPort: 54_331, log });
  stops.push(dropDatabase);
  // Nothing here talks to Temporal: a lazy connection to a closed port is never dialled.
  const temporal = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
  const app = buildApp({
    pool: database.pool,
    db: database.db,
    temporal,
    client: new Client({ connection: temporal }),
    taskQueue: 'bench',
    requestSettings: loadConfig({}).requests,
    logger: log,
    adminToken: ADMIN_TOKEN,
    // The bench's own clients would otherwise trip the per-token rate limit.
    http: { rateLimitPerMinute: 100_000 },
  });
  stops.unshift(() => app.close());
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });

  const newConversation = async () => {
    const id = randomUUID();
    const first = { id: randomUUID(), role: 'founder', content: 'bench', timestamp: new Date().toISOString() };
    await insertRequestConversation(database.db, { id, projectId: randomUUID(), workflowId: `request-bench-${id}`, requestText: 'bench', firstMessage: first });
    return id;
  };
  const rows: string[] = [];
  const row = (how: string, clients: number, latencies: number[], delivered: string) => {
    const p = percentiles(latencies);
    const ms = (v: number) => v.toFixed(1);
    rows.push(`| ${how} | ${clients} | ${delivered} | ${ms(p.p50)} | ${ms(p.p95)} | ${ms(p.p99)} | ${ms(p.mean)} | ${ms(p.max)} |`);
  };

  try {
    for (const n of SUBSCRIBERS) {
      const id = await newConversation();
      const subs = [];
      for (let i = 0; i < n; i++) subs.push(await subscriber(baseUrl, id));
      const committed = await write(database.db, id);
      const deadline = Date.now() + 60_000;
      while (subs.some((s) => s.count() < EVENTS) && Date.now() < deadline) await sleep(50);
      const latencies: number[] = [];
      for (const s of subs) for (let seq = 1; seq <= EVENTS; seq++) if (s.arrived[seq]! > 0) latencies.push(s.arrived[seq]! - committed[seq]!);
      row('WebSocket stream', n, latencies, `${latencies.length}/${n * EVENTS}`);
      for (const s of subs) s.close();
    }
    const id = await newConversation();
    const poll = poller(baseUrl, id);
    const committed = await write(database.db, id);
    await Promise.race([poll.done, sleep(POLL_MS * 3)]);
    poll.stop();
    const got = Array.from({ length: EVENTS }, (_, i) => i + 1).filter((s) => poll.arrived[s]! > 0);
    row(`polling every ${POLL_MS / 1000} s`, 1, got.map((s) => poll.arrived[s]! - committed[s]!), `${got.length}/${EVENTS}`);
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
    await removeStateFolder(home);
  }

  console.log(`\nLatency from commit to arrival, ${EVENTS} events appended one by one (${PACE_MS} ms apart), loopback, one process.\n`);
  console.log('| how | clients | events delivered | p50 ms | p95 ms | p99 ms | mean ms | max ms |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(r);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
