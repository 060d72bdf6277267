import type { Db } from '../db/client.js';
import { appendSessionEvent, type AppendedEvent, type NewSessionEvent } from '../db/queries/session-events.js';

export type EventActivityDeps = { db: Db };

/** Writing step output to the conversation's event stream, idempotent by the caller's key. */
export function createEventActivities({ db }: EventActivityDeps) {
  return {
    async recordEvent(event: NewSessionEvent): Promise<AppendedEvent> {
      return appendSessionEvent(db, event);
    },
  };
}
