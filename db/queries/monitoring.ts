/**
 * The project's monitoring conversation (where Assist raises findings and writes the morning briefing) and the
 * monitor's findings. One monitoring conversation per project, found by its idempotency key.
 */
import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { advisorConversations, monitorFindings } from '../schema.js';

/** The idempotency key that makes the monitoring conversation one per project. */
const MONITORING_KEY = 'monitoring';

/**
 * The project's monitoring conversation's id, created on first use (concurrent callers get the same one). It is
 * an Assist conversation, so a project token may stream it like any of its own.
 */
export async function ensureMonitoringConversation(db: Db, projectId: string): Promise<string> {
  const existing = await findMonitoringConversation(db, projectId);
  if (existing) return existing;
  await db
    .insert(advisorConversations)
    .values({
      projectId,
      module: 'assist',
      outcome: 'monitoring',
      // No workflow runs it (Schedules write to it), so it takes no signals: a message or confirm sent to it is
      // refused as to any finished conversation, and the founder acts on findings through their own route.
      status: 'completed',
      phase: 'done',
      requestText: 'Monitoring and morning briefings',
      idempotencyKey: MONITORING_KEY,
    })
    .onConflictDoNothing({ target: [advisorConversations.projectId, advisorConversations.idempotencyKey] });
  const id = await findMonitoringConversation(db, projectId);
  if (!id) throw new Error(`the monitoring conversation of project ${projectId} was neither found nor created`);
  return id;
}

export async function findMonitoringConversation(db: Db, projectId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ id: advisorConversations.id })
    .from(advisorConversations)
    .where(and(eq(advisorConversations.projectId, projectId), eq(advisorConversations.idempotencyKey, MONITORING_KEY)));
  return row?.id;
}

export type FindingKind = 'metric_change' | 'error_spike' | 'deploy_failed';
export type FindingStatus = 'open' | 'acted' | 'dismissed';

/** What the monitor detected, before it is stored. */
export type FindingCandidate = {
  kind: FindingKind;
  fingerprint: string;
  summary: string;
  details: Record<string, unknown>;
  deployId: string | null;
  commit: string | null;
};

export type FindingView = FindingCandidate & {
  id: string;
  projectId: string;
  status: FindingStatus;
  conversationId: string | null;
  actedConversationId: string | null;
  createdAt: string;
};

type FindingRow = typeof monitorFindings.$inferSelect;
const toView = (r: FindingRow): FindingView => ({
  id: r.id,
  projectId: r.projectId,
  kind: r.kind as FindingKind,
  fingerprint: r.fingerprint,
  summary: r.summary,
  details: r.details as Record<string, unknown>,
  deployId: r.deployId,
  commit: r.commit,
  status: r.status as FindingStatus,
  conversationId: r.conversationId,
  actedConversationId: r.actedConversationId,
  createdAt: r.createdAt.toISOString(),
});

/**
 * Stores the candidates not stored before (the fingerprint decides) and returns every candidate's finding that
 * has not been raised in the monitoring conversation yet: new ones, and any a failed earlier run left unraised.
 */
export async function storeFindings(db: Db, projectId: string, candidates: FindingCandidate[]): Promise<FindingView[]> {
  if (candidates.length === 0) return [];
  await db
    .insert(monitorFindings)
    .values(candidates.map((c) => ({ ...c, projectId })))
    .onConflictDoNothing({ target: [monitorFindings.projectId, monitorFindings.fingerprint] });
  const rows = await db
    .select()
    .from(monitorFindings)
    .where(
      and(
        eq(monitorFindings.projectId, projectId),
        inArray(
          monitorFindings.fingerprint,
          candidates.map((c) => c.fingerprint),
        ),
        isNull(monitorFindings.conversationId),
      ),
    )
    .orderBy(monitorFindings.createdAt);
  return rows.map(toView);
}

/** Marks a finding raised in the monitoring conversation. */
export async function markFindingRaised(db: Db, id: string, conversationId: string): Promise<void> {
  await db.update(monitorFindings).set({ conversationId, updatedAt: new Date() }).where(eq(monitorFindings.id, id));
}

export async function getFinding(db: Db, projectId: string, id: string): Promise<FindingView | undefined> {
  const [row] = await db.select().from(monitorFindings).where(and(eq(monitorFindings.projectId, projectId), eq(monitorFindings.id, id)));
  return row ? toView(row) : undefined;
}

/** The project's findings, newest first, optionally of one status. */
export async function listFindings(db: Db, projectId: string, opts: { status?: FindingStatus; limit: number }): Promise<FindingView[]> {
  const rows = await db
    .select()
    .from(monitorFindings)
    .where(and(eq(monitorFindings.projectId, projectId), opts.status ? eq(monitorFindings.status, opts.status) : undefined))
    .orderBy(desc(monitorFindings.createdAt), desc(monitorFindings.id))
    .limit(opts.limit);
  return rows.map(toView);
}

/** Findings created since `since`, oldest first (the briefing's "what the monitor saw"). */
export async function findingsSince(db: Db, projectId: string, since: Date): Promise<FindingView[]> {
  const rows = await db
    .select()
    .from(monitorFindings)
    .where(and(eq(monitorFindings.projectId, projectId), sql`${monitorFindings.createdAt} > ${since.toISOString()}`))
    .orderBy(monitorFindings.createdAt);
  return rows.map(toView);
}

/** Records what the founder decided about a finding. */
export async function setFindingStatus(db: Db, id: string, status: FindingStatus, actedConversationId?: string): Promise<FindingView | undefined> {
  const [row] = await db
    .update(monitorFindings)
    .set({ status, ...(actedConversationId ? { actedConversationId } : {}), updatedAt: new Date() })
    .where(eq(monitorFindings.id, id))
    .returning();
  return row ? toView(row) : undefined;
}
