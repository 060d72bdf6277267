/**
 * `GET /api/conversations/:id/stream`: the same live stream as Server-Sent Events, for clients that cannot
 * hold a WebSocket. Each event is `id: <seq>`, `event: <kind>`, `data: <envelope JSON>`; a browser's
 * EventSource resumes by itself with `Last-Event-ID`, and `?after=<seq>` does the same by hand; a stream
 * opened with a ticket resumes on a new ticket (a ticket opens one connection). A stream whose project token
 * is revoked gets `event: token_revoked` with an error body and ends.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { parseEvent } from '../../core/events.js';
import type { Db } from '../../db/client.js';
import { ApiError, parseInput } from '../errors.js';
import { checkAccess, conversationId, drainedWithin, STREAM_DEFAULTS, type StreamOptions } from './access.js';
import type { RevocationWatch } from '../revocation-watch.js';
import type { EventHub } from './event-hub.js';
import { REVOKED_MESSAGE } from './websocket.js';

const params = z.object({ id: conversationId });
const seqText = z
  .string()
  .regex(/^\d{1,10}$/, { message: 'must be a whole number' })
  .transform(Number)
  .pipe(z.number().int().max(2_147_483_647));
const query = z.object({ after: seqText.optional() });
const headers = z.object({ 'last-event-id': seqText.optional() });

/** Registers the SSE route; returns a function that ends every open stream (the app calls it on close). */
export function sseStreamRoute(app: FastifyInstance, deps: { db: Db; hub: EventHub; revocations: RevocationWatch; options: StreamOptions }) {
  const maxBuffered = deps.options.maxBufferedBytes ?? STREAM_DEFAULTS.maxBufferedBytes;
  const heartbeatMs = deps.options.sseHeartbeatMs ?? STREAM_DEFAULTS.sseHeartbeatMs;
  const slowMs = deps.options.slowClientTimeoutMs ?? STREAM_DEFAULTS.slowClientTimeoutMs;
  const streams = new Set<ServerResponse>();

  app.get('/api/conversations/:id/stream', async (req, reply) => {
    const { id } = parseInput(params, req.params, 'params');
    const { after } = parseInput(query, req.query, 'query');
    const lastEventId = parseInput(headers, { 'last-event-id': req.headers['last-event-id'] }, 'headers')['last-event-id'];
    const refused = await checkAccess(deps.db, deps.options, req, id);
    if (refused) throw new ApiError(refused.status, refused.code, refused.message, refused.status === 404 ? 'id' : undefined);

    // The header wins: it is what a reconnecting EventSource says it has, whatever URL it was opened with.
    const from = lastEventId ?? after ?? 0;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    streams.add(res);
    const sub = deps.hub.subscribe(id, from, {
      deliver(row) {
        const event = parseEvent(row);
        res.write(`id: ${event.seq}\nevent: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`);
        return res.writableLength <= maxBuffered;
      },
      drained: () => drainedWithin(() => res.writableLength, maxBuffered, slowMs, () => res.destroyed || res.writableEnded),
      // A slow or interrupted stream ends; the client reconnects with Last-Event-ID and misses nothing.
      ended: () => res.end(),
    });
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
    const unwatch = deps.revocations.watch(req.principal, () => {
      sub.close();
      if (!res.writableEnded) res.end(`event: token_revoked\ndata: ${JSON.stringify({ error: { code: 'token_revoked', message: REVOKED_MESSAGE } })}\n\n`);
    });
    res.on('close', () => {
      unwatch();
      clearInterval(heartbeat);
      sub.close();
      streams.delete(res);
    });
  });

  return () => {
    for (const res of streams) res.end();
  };
}
