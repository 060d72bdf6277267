/**
 * `GET /api/stream`: the founder's console follows conversations over one WebSocket. JSON text frames:
 *
 *   client → server  {type:'subscribe', conversationId, afterSeq}   (again with a new afterSeq: resume there)
 *                    {type:'unsubscribe', conversationId}
 *   server → client  {type:'subscribed', conversationId, afterSeq}
 *                    {type:'event', conversationId, event:{v, seq, kind, sessionId, payload, at, known, scripted?}}
 *                    {type:'error', code, status, message, conversationId?}
 *
 * Events of a conversation arrive in seq order, each once. A client that reads too slowly is closed with 4008
 * and resumes by subscribing with the last seq it has; so does one whose API process restarted. An error
 * `stream_interrupted` (503) for a conversation says Postgres could not be read (while subscribing, or for
 * minutes on end: the hub retries a failing read first): the client subscribes again, after a pause, with
 * the last seq it has. A socket opened with a project token that is then revoked gets an error `token_revoked`
 * (401) and is closed with 4401: asking for a new ticket with that token fails too.
 */
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { parseEvent } from '../../core/events.js';
import type { Db } from '../../db/client.js';
import { afterSeq, checkAccess, conversationId, drainedWithin, STREAM_DEFAULTS, type StreamOptions } from './access.js';
import type { RevocationWatch } from '../revocation-watch.js';
import type { EventHub } from './event-hub.js';
import type { Subscription } from './subscription.js';

/** Close code for a client whose unread data passed the bound. */
export const TOO_SLOW_CLOSE_CODE = 4008;
export const TOO_SLOW_REASON = 'too slow, resume from your last seq';
/** Close code for a socket whose token was revoked or reissued. */
export const REVOKED_CLOSE_CODE = 4401;
export const REVOKED_REASON = 'token revoked';
/** What a revoked stream is told, on the WebSocket and on SSE alike. */
export const REVOKED_MESSAGE = 'This stream was closed because the access token it was opened with was revoked; sign in again with a current token';

/** A frame the client may send. */
export const clientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), conversationId, afterSeq: afterSeq.default(0) }).strict(),
  z.object({ type: z.literal('unsubscribe'), conversationId }).strict(),
]);
export type ClientFrame = z.output<typeof clientFrame>;

/** Upper bound on a client frame; anything bigger is not a frame of this protocol. */
const MAX_FRAME_BYTES = 4 * 1024;

type ErrorFrame = { type: 'error'; code: string; status: number; message: string; conversationId?: string };

export function websocketStreamRoute(app: FastifyInstance, deps: { db: Db; hub: EventHub; revocations: RevocationWatch; options: StreamOptions }) {
  const maxSubscriptions = deps.options.maxSubscriptions ?? STREAM_DEFAULTS.maxSubscriptions;
  const maxBuffered = deps.options.maxBufferedBytes ?? STREAM_DEFAULTS.maxBufferedBytes;
  const pingMs = deps.options.pingIntervalMs ?? STREAM_DEFAULTS.pingIntervalMs;
  const slowMs = deps.options.slowClientTimeoutMs ?? STREAM_DEFAULTS.slowClientTimeoutMs;

  app.get('/api/stream', { websocket: true }, (socket: WebSocket, req) => {
    // A pending entry holds the slot while the conversation is looked up, so the bound cannot be raced.
    const subs = new Map<string, Subscription | 'pending'>();
    let open = true;
    const send = (frame: object) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
    };
    const error = (frame: Omit<ErrorFrame, 'type'>) => send({ type: 'error', ...frame });
    const interrupted = (id: string) =>
      error({ code: 'stream_interrupted', status: 503, message: 'Reading the stream failed; subscribe again with your last seq', conversationId: id });

    let missedPongs = 0;
    const heartbeat = setInterval(() => {
      if (missedPongs >= 2) return void socket.terminate();
      missedPongs += 1;
      socket.ping();
    }, pingMs);
    socket.on('pong', () => {
      missedPongs = 0;
    });
    const unwatch = deps.revocations.watch(req.principal, () => {
      error({ code: 'token_revoked', status: 401, message: REVOKED_MESSAGE });
      // Subscriptions stop now, not when the close handshake ends: nothing more is read for this token.
      open = false;
      for (const id of [...subs.keys()]) drop(id);
      socket.close(REVOKED_CLOSE_CODE, REVOKED_REASON);
    });

    const drop = (id: string) => {
      const sub = subs.get(id);
      if (sub && sub !== 'pending') sub.close();
      subs.delete(id);
    };

    async function subscribe(frame: Extract<ClientFrame, { type: 'subscribe' }>) {
      const id = frame.conversationId;
      drop(id);
      if (subs.size >= maxSubscriptions) {
        return error({ code: 'too_many_subscriptions', status: 429, message: `At most ${maxSubscriptions} conversations per connection; unsubscribe from one first`, conversationId: id });
      }
      subs.set(id, 'pending');
      const refused = await checkAccess(deps.db, deps.options, req, id).catch((err: unknown) => {
        req.log.warn({ err, conversationId: id }, 'stream subscription lookup failed');
        return 'failed' as const;
      });
      // Unsubscribed, resubscribed or gone while the conversation was looked up: that later frame wins.
      if (!open || subs.get(id) !== 'pending') return;
      // Postgres is away (restarting): free the slot and say so, in the words that make a client ask again.
      if (refused === 'failed') {
        subs.delete(id);
        return interrupted(id);
      }
      if (refused) {
        subs.delete(id);
        return error({ ...refused, conversationId: id });
      }
      send({ type: 'subscribed', conversationId: id, afterSeq: frame.afterSeq });
      const sub = deps.hub.subscribe(id, frame.afterSeq, {
        deliver(row) {
          send({ type: 'event', conversationId: id, event: parseEvent(row) });
          return socket.bufferedAmount <= maxBuffered;
        },
        drained: () => drainedWithin(() => socket.bufferedAmount, maxBuffered, slowMs, () => socket.readyState !== socket.OPEN),
        ended(reason) {
          subs.delete(id);
          if (reason === 'slow') return socket.close(TOO_SLOW_CLOSE_CODE, TOO_SLOW_REASON);
          interrupted(id);
        },
      });
      subs.set(id, sub);
    }

    async function onFrame(data: Buffer, isBinary: boolean) {
      if (isBinary || data.length > MAX_FRAME_BYTES) {
        return error({ code: 'invalid_frame', status: 400, message: `Frames are JSON text of at most ${MAX_FRAME_BYTES} bytes` });
      }
      let json: unknown;
      try {
        json = JSON.parse(data.toString('utf8'));
      } catch {
        return error({ code: 'invalid_frame', status: 400, message: 'A frame must be JSON' });
      }
      const parsed = clientFrame.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = issue?.path.map(String).join('.') || 'frame';
        return error({ code: 'invalid_frame', status: 400, message: `${field}: ${issue?.message ?? 'invalid'}` });
      }
      if (parsed.data.type === 'unsubscribe') return drop(parsed.data.conversationId);
      await subscribe(parsed.data);
    }

    socket.on('message', (data: Buffer, isBinary: boolean) => {
      onFrame(data, isBinary).catch((err: unknown) => {
        req.log.warn({ err }, 'stream frame failed');
        error({ code: 'internal', status: 500, message: 'That frame could not be handled; send it again' });
      });
    });
    socket.on('close', () => {
      open = false;
      unwatch();
      clearInterval(heartbeat);
      for (const id of [...subs.keys()]) drop(id);
    });
  });
}
