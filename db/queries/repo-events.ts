import { desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { repoEvents } from '../schema.js';

/** A pushed commit as VIBN keeps it: enough for Assist to say what changed, nothing more. */
export type RepoEventCommit = { id: string; message: string; author: string | null; timestamp: string | null };

export type NewRepoEvent = {
  projectId: string;
  /** The git server's delivery id: the same event delivered twice is recorded once. */
  deliveryId: string;
  kind: 'push';
  ref: string | null;
  before: string | null;
  after: string | null;
  pusher: string | null;
  commits: RepoEventCommit[];
};

export type RepoEventView = NewRepoEvent & { id: string; receivedAt: string };

/** Records an event; returns false when this delivery was already recorded (a redelivery). */
export async function recordRepoEvent(db: DbOrTx, event: NewRepoEvent): Promise<boolean> {
  const inserted = await db
    .insert(repoEvents)
    .values(event)
    .onConflictDoNothing({ target: [repoEvents.projectId, repoEvents.deliveryId] })
    .returning({ id: repoEvents.id });
  return inserted.length > 0;
}

/** A project's most recent repository events, newest first. */
export async function listRecentRepoEvents(db: DbOrTx, projectId: string, limit = 20): Promise<RepoEventView[]> {
  const rows = await db.select().from(repoEvents).where(eq(repoEvents.projectId, projectId)).orderBy(desc(repoEvents.receivedAt)).limit(limit);
  return rows.map((r) => ({
    id: r.id,
    projectId: r.projectId,
    deliveryId: r.deliveryId,
    kind: r.kind as 'push',
    ref: r.ref,
    before: r.before,
    after: r.after,
    pusher: r.pusher,
    commits: r.commits as RepoEventCommit[],
    receivedAt: r.receivedAt.toISOString(),
  }));
}
