import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../db/client.js';
import { getConversationHead } from '../../db/queries/conversation-views.js';

/** Settings of the live stream; every bound has a default that suits one founder's browser. */
export type StreamOptions = {
  /**
   * May this request read this conversation? The default allows everything; the authentication layer plugs
   * in here. Called once per subscription, after the conversation is known to exist.
   */
  authorize?: (req: FastifyRequest, conversationId: string) => Promise<boolean>;
  /** Conversations one WebSocket may follow at once. */
  maxSubscriptions?: number;
  /** Bytes a client may leave unread (socket buffer) before it is dropped as too slow. */
  maxBufferedBytes?: number;
  /** How long a client may stay over `maxBufferedBytes` before it is dropped. */
  slowClientTimeoutMs?: number;
  /** WebSocket ping period; a client that misses two pongs is dropped. */
  pingIntervalMs?: number;
  /** SSE heartbeat comment period, so proxies keep an idle stream open. */
  sseHeartbeatMs?: number;
};

export const STREAM_DEFAULTS = {
  maxSubscriptions: 20,
  maxBufferedBytes: 1024 * 1024,
  slowClientTimeoutMs: 10_000,
  pingIntervalMs: 20_000,
  sseHeartbeatMs: 15_000,
} satisfies Required<Omit<StreamOptions, 'authorize'>>;

/** A conversation id as the routes accept it. */
export const conversationId = z.guid({ message: 'must be a uuid' });
/** A seq to resume after: 0 means from the start. */
export const afterSeq = z.number().int().min(0).max(2_147_483_647);

/** Why a subscription was refused, as the stream reports it: a stable code and an HTTP-like status. */
export type Refusal = { status: 404 | 403; code: 'conversation_not_found' | 'forbidden'; message: string };

/** Checks that the founder conversation exists and that the request may read it. */
export async function checkAccess(db: Db, options: StreamOptions, req: FastifyRequest, id: string): Promise<Refusal | undefined> {
  if (!(await getConversationHead(db, id))) return { status: 404, code: 'conversation_not_found', message: `No conversation ${id}` };
  if (options.authorize && !(await options.authorize(req, id))) {
    return { status: 403, code: 'forbidden', message: `You may not read conversation ${id}` };
  }
  return undefined;
}

/**
 * Resolves true once the client's unread bytes are back within `bound`, false when they are not within
 * `timeoutMs` or the connection is gone. Polls: neither ws nor an HTTP response says when a buffer shrinks
 * below a given size, and a stalled client is the rare case.
 */
export async function drainedWithin(buffered: () => number, bound: number, timeoutMs: number, gone: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone()) return false;
    if (buffered() <= bound) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}
