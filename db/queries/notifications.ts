/** The founder's notifications: one row per idempotency key, read or not, with where its email stands. */
import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { NotificationKind } from '../../core/notifications.js';
import type { Db } from '../client.js';
import { notifications } from '../schema.js';

export type EmailStatus = 'pending' | 'sent' | 'failed';

export type NotificationView = {
  id: string;
  projectId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  conversationId: string | null;
  readAt: string | null;
  emailStatus: EmailStatus | null;
  createdAt: string;
};

type Row = typeof notifications.$inferSelect;
const toView = (r: Row): NotificationView => ({
  id: r.id,
  projectId: r.projectId,
  kind: r.kind as NotificationKind,
  title: r.title,
  body: r.body,
  conversationId: r.conversationId,
  readAt: r.readAt?.toISOString() ?? null,
  emailStatus: r.emailStatus as EmailStatus | null,
  createdAt: r.createdAt.toISOString(),
});

export type NewNotification = {
  projectId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  conversationId: string | null;
  idempotencyKey: string;
  emailStatus: EmailStatus | null;
  /** Set for a notification the founder wanted by email only: on record, but not unread in the feed. */
  readAt: Date | null;
};

/** Inserts the notification unless its key was used; returns the row either way, and whether it is new. */
export async function insertNotification(db: Db, n: NewNotification): Promise<{ notification: NotificationView; inserted: boolean }> {
  const [row] = await db.insert(notifications).values(n).onConflictDoNothing({ target: notifications.idempotencyKey }).returning();
  if (row) return { notification: toView(row), inserted: true };
  const [existing] = await db.select().from(notifications).where(eq(notifications.idempotencyKey, n.idempotencyKey));
  if (!existing) throw new Error(`notification ${n.idempotencyKey} was refused without a conflicting row`);
  return { notification: toView(existing), inserted: false };
}

export async function setEmailStatus(db: Db, id: string, emailStatus: EmailStatus): Promise<void> {
  await db.update(notifications).set({ emailStatus }).where(eq(notifications.id, id));
}

/** The project's notifications, newest first; `unread` keeps the ones not read yet. */
export async function listNotifications(db: Db, projectId: string, opts: { unread: boolean; limit: number }): Promise<NotificationView[]> {
  const rows = await db
    .select()
    .from(notifications)
    .where(and(eq(notifications.projectId, projectId), opts.unread ? isNull(notifications.readAt) : undefined))
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(opts.limit);
  return rows.map(toView);
}

/** Marks the given notifications of the project (or all of them) read; returns how many changed. */
export async function markNotificationsRead(db: Db, projectId: string, which: { ids: string[] } | 'all'): Promise<number> {
  const rows = await db
    .update(notifications)
    .set({ readAt: new Date() })
    .where(and(eq(notifications.projectId, projectId), isNull(notifications.readAt), which === 'all' ? undefined : inArray(notifications.id, which.ids)))
    .returning({ id: notifications.id });
  return rows.length;
}
