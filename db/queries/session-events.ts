import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../client.js';
import { redactDeep } from '../../lib/redact.js';
import { sessionEvents } from '../schema.js';

export type NewSessionEvent = {
  conversationId: string;
  sessionId?: string | null;
  kind: string;
  payload: Record<string, unknown>;
  /** Same key, same event: a retried activity's second insert is a no-op that returns the first seq. */
  idempotencyKey?: string;
};

export type AppendedEvent = { seq: number; inserted: boolean };

/** Channel on which each committed event is announced as `<conversation id>:<seq>`. */
export const EVENTS_CHANNEL = 'session_events';

/**
 * Appends one event to its conversation's stream with the next seq. A transaction-scoped advisory lock on the
 * stream serialises writers (parallel tasks of one request), so seqs stay contiguous without gaps; the NOTIFY
 * goes out only when the transaction commits.
 */
export async function appendSessionEvent(db: DbOrTx, event: NewSessionEvent): Promise<AppendedEvent> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${event.conversationId}))`);
    if (event.idempotencyKey) {
      const [existing] = await tx
        .select({ seq: sessionEvents.seq })
        .from(sessionEvents)
        .where(eq(sessionEvents.idempotencyKey, event.idempotencyKey));
      if (existing) return { seq: existing.seq, inserted: false };
    }
    const [{ next: seq }] = (
      await tx.execute<{ next: number }>(
        sql`select coalesce(max(seq), 0)::int + 1 as next from session_events where conversation_id = ${event.conversationId}`,
      )
    ).rows as [{ next: number }];
    await tx.insert(sessionEvents).values({
      conversationId: event.conversationId,
      sessionId: event.sessionId ?? null,
      seq,
      kind: event.kind,
      // Everything here is streamed to the founder's console: no secret may pass.
      payload: redactDeep(event.payload),
      idempotencyKey: event.idempotencyKey ?? null,
    });
    await tx.execute(sql`select pg_notify(${EVENTS_CHANNEL}, ${`${event.conversationId}:${seq}`})`);
    return { seq, inserted: true };
  });
}

/** A conversation's events after `afterSeq`, in order, at most `limit`. */
export async function listSessionEvents(db: Db, conversationId: string, afterSeq = 0, limit = 1000) {
  return db
    .select()
    .from(sessionEvents)
    .where(and(eq(sessionEvents.conversationId, conversationId), gt(sessionEvents.seq, afterSeq)))
    .orderBy(asc(sessionEvents.seq))
    .limit(limit);
}
