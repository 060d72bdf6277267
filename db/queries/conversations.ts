/** Write side of a request's conversation row: messages, phase and status, plan, results. */
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { advisorConversations } from '../schema.js';

export type ConversationMessage = {
  id: string;
  role: 'founder' | 'assist';
  content: string;
  timestamp: string;
  /** For Assist's turns: the structured reply (answer, question or plan) behind the text. */
  reply?: unknown;
  /** True when the words were played from a script, not written by a model. */
  scripted?: boolean;
};

export async function getConversation(db: Db, id: string) {
  const [row] = await db.select().from(advisorConversations).where(eq(advisorConversations.id, id));
  return row;
}

/** Appends a message unless one with the same id is already there, so a retried activity adds it once. */
export async function appendMessage(db: Db, conversationId: string, message: ConversationMessage): Promise<boolean> {
  const result = await db.execute(sql`
    update advisor_conversations
       set messages = messages || ${JSON.stringify([message])}::jsonb, updated_at = now()
     where id = ${conversationId}
       and not messages @> ${JSON.stringify([{ id: message.id }])}::jsonb`);
  return (result.rowCount ?? 0) > 0;
}

export async function updateConversation(db: Db, id: string, values: Partial<typeof advisorConversations.$inferInsert>) {
  await db
    .update(advisorConversations)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(advisorConversations.id, id));
}
