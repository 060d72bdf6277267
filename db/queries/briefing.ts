/** What the morning briefing reads: requests that ended, open questions, and when the last briefing was. */
import { and, desc, eq, gt, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { advisorConversations, advisorMemory } from '../schema.js';

/** The kind of stored message a briefing is (messages[].reply.kind), so the next one knows where to start. */
export const BRIEFING_REPLY_KIND = 'briefing';

export type EndedRequest = { id: string; requestText: string; status: string; outcome: string | null; error: string | null; endedAt: Date };

/** The founder's requests that completed with work done, or failed, after `since` (the monitoring conversation excluded). */
export async function requestsEndedSince(db: Db, projectId: string, since: Date, monitoringId: string): Promise<EndedRequest[]> {
  const rows = await db
    .select({
      id: advisorConversations.id,
      requestText: advisorConversations.requestText,
      status: advisorConversations.status,
      outcome: advisorConversations.outcome,
      error: advisorConversations.error,
      endedAt: advisorConversations.updatedAt,
    })
    .from(advisorConversations)
    .where(
      and(
        eq(advisorConversations.projectId, projectId),
        eq(advisorConversations.module, 'assist'),
        ne(advisorConversations.id, monitoringId),
        inArray(advisorConversations.status, ['completed', 'failed']),
        gt(advisorConversations.updatedAt, since),
      ),
    )
    .orderBy(advisorConversations.updatedAt);
  return rows
    .filter((r) => r.status === 'failed' || r.outcome === 'tasked')
    .map((r) => ({ ...r, requestText: r.requestText ?? '' }));
}

/** Open questions Assist keeps (memory category 'open', not closed), most recently touched first. */
export async function openQuestions(db: Db, projectId: string, limit = 5): Promise<Array<{ key: string; value: string }>> {
  return db
    .select({ key: advisorMemory.key, value: advisorMemory.value })
    .from(advisorMemory)
    .where(and(eq(advisorMemory.projectId, projectId), eq(advisorMemory.category, 'open'), isNull(advisorMemory.closedAt)))
    .orderBy(desc(advisorMemory.updatedAt))
    .limit(limit);
}

/** When the last briefing was written in the monitoring conversation, if ever. */
export async function lastBriefingAt(db: Db, monitoringId: string): Promise<Date | undefined> {
  const result = await db.execute<{ at: string | null }>(sql`
    select max((m->>'timestamp')::timestamptz) as at
      from advisor_conversations c, jsonb_array_elements(c.messages) m
     where c.id = ${monitoringId} and m->'reply'->>'kind' = ${BRIEFING_REPLY_KIND}`);
  const at = result.rows[0]?.at;
  return at ? new Date(at) : undefined;
}

/** A stored message of the conversation by id: how a retried briefing finds the one it already wrote. */
export async function findMessage(db: Db, conversationId: string, messageId: string): Promise<{ content: string; reply: { since?: string } | null } | undefined> {
  const result = await db.execute<{ content: string; reply: { since?: string } | null }>(sql`
    select m->>'content' as content, m->'reply' as reply
      from advisor_conversations c, jsonb_array_elements(c.messages) m
     where c.id = ${conversationId} and m->>'id' = ${messageId}`);
  return result.rows[0];
}
