import type { DbOrTx } from '../client.js';
import { productEvents } from '../schema.js';

/** One product event as a sender reports it (already validated by the ingestion route). */
export type NewProductEvent = {
  /** The sender's id for the event: the same id sent twice is stored once. */
  eventId: string;
  name: string;
  userId?: string | null;
  anonymousId?: string | null;
  platform?: string | null;
  properties?: Record<string, unknown>;
  occurredAt: Date;
};

/** Rows per INSERT: 9 bound parameters each, far below Postgres's 65,535 per statement. */
const CHUNK = 1_000;

/**
 * Stores a batch of a project's events, skipping any whose id the project already has (a resent batch, or the
 * same id twice in one batch). Returns how many were new.
 */
export async function insertProductEvents(db: DbOrTx, projectId: string, events: NewProductEvent[]): Promise<{ accepted: number; duplicates: number }> {
  let accepted = 0;
  for (let i = 0; i < events.length; i += CHUNK) {
    const rows = events.slice(i, i + CHUNK).map((e) => ({
      projectId,
      eventId: e.eventId,
      name: e.name,
      userId: e.userId ?? null,
      anonymousId: e.anonymousId ?? null,
      platform: e.platform ?? null,
      properties: e.properties ?? {},
      occurredAt: e.occurredAt,
    }));
    const inserted = await db
      .insert(productEvents)
      .values(rows)
      .onConflictDoNothing({ target: [productEvents.projectId, productEvents.eventId] })
      .returning({ id: productEvents.id });
    accepted += inserted.length;
  }
  return { accepted, duplicates: events.length - accepted };
}

/** An event name as senders may spell it: lowercase letters, digits and _ . : $ -, at most 100 characters. */
export const EVENT_NAME_PATTERN = /^[a-z0-9_.:$-]{1,100}$/;
