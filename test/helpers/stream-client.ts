/**
 * The live stream as a test (or the bench) sees it: a real `ws` client on /api/stream that records every
 * frame, an app on a throwaway database, and a conversation row to subscribe to.
 */
import { randomUUID } from 'node:crypto';
import type net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { productLogger } from './logs.js';
import WebSocket from 'ws';
import { buildApp } from '../../api/app.js';
import type { Db } from '../../db/client.js';
import type pg from 'pg';
import { insertRequestConversation } from '../../db/queries/conversation-views.js';
import { loadConfig } from '../../lib/config.js';
import { eventually } from './poll.js';

export const ADMIN_TOKEN = 'stream-test-admin-token-0123456789';
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** The API on `pool`/`db`, with a Temporal connection to nowhere: the stream never needs Temporal. */
export function buildStreamApp(database: { pool: pg.Pool; db: Db }, deadTemporalPort: number) {
  const temporal = Connection.lazy({ address: `127.0.0.1:${deadTemporalPort}`, connectTimeout: 500 });
  return buildApp({
    pool: database.pool,
    db: database.db,
    temporal,
    client: new Client({ connection: temporal }),
    taskQueue: 'stream-test',
    requestSettings: loadConfig({}).requests,
    logger: productLogger('api').logger,
    adminToken: ADMIN_TOKEN,
  });
}

/** A founder conversation to stream. */
export async function createConversation(db: Db): Promise<string> {
  const id = randomUUID();
  await insertRequestConversation(db, {
    id,
    projectId: randomUUID(),
    workflowId: `request-stream-${id}`,
    requestText: 'stream me',
    firstMessage: { id: randomUUID(), role: 'founder', content: 'stream me', timestamp: new Date().toISOString() },
  });
  return id;
}

export type Frame = { type: string; conversationId?: string; code?: string; status?: number; event?: { seq: number; kind: string; v: number; known: boolean; payload: any; scripted?: boolean } };

/** One WebSocket on /api/stream, keeping every frame it received. */
export class StreamClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Arrival time (performance.now) of each event frame, by `<conversation>:<seq>`. */
  readonly arrivals = new Map<string, number>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      if (frame.type === 'event') this.arrivals.set(`${frame.conversationId}:${frame.event!.seq}`, performance.now());
      this.frames.push(frame);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  /** Connects to the app at `baseUrl` (http://host:port): with the admin token, or as a browser does, with a ticket. */
  static async open(baseUrl: string, options: { ticket?: string } = {}): Promise<StreamClient> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/api/stream`;
    const ws = options.ticket ? new WebSocket(`${url}?ticket=${encodeURIComponent(options.ticket)}`) : new WebSocket(url, { headers: auth });
    const client = new StreamClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(frame: unknown) {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Subscribes and waits for the server's `subscribed`. */
  async subscribe(conversationId: string, afterSeq = 0) {
    const before = this.frames.length;
    this.send({ type: 'subscribe', conversationId, afterSeq });
    await eventually('subscribed', async () =>
      this.frames.slice(before).some((f) => f.type === 'subscribed' && f.conversationId === conversationId) ? true : undefined,
    );
  }

  /** Seqs of the events received for a conversation, in arrival order. */
  seqs(conversationId: string): number[] {
    return this.frames.filter((f) => f.type === 'event' && f.conversationId === conversationId).map((f) => f.event!.seq);
  }

  lastSeq(conversationId: string): number {
    return this.seqs(conversationId).at(-1) ?? 0;
  }

  /** Waits until `count` events of the conversation have arrived. */
  waitForEvents(conversationId: string, count: number, timeoutMs = 30_000) {
    return eventually(`${count} events`, async () => (this.seqs(conversationId).length >= count ? true : undefined), timeoutMs);
  }

  /** Stops reading from the TCP socket, as a client on a stalled network would. */
  pauseReading() {
    (this.ws as unknown as { _socket: net.Socket })._socket.pause();
  }

  resumeReading() {
    (this.ws as unknown as { _socket: net.Socket })._socket.resume();
  }

  close() {
    this.ws.close();
    return this.closed;
  }
}

/** 1..n */
export const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);
