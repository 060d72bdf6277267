/**
 * An advisor's reading rounds (advisor_rounds): its replies and the tool results that answered them, kept so a
 * retried round does not pay for its model call again and each round sees the transcript so far. Stored
 * redacted like session events: a secret read from the repository stays out of the database and of the next
 * round's prompt alike.
 */
import { and, asc, eq, lte } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { redactDeep } from '../../lib/redact.js';
import type { ContentBlock, ToolResultBlock } from '../../llm/types.js';
import { advisorRounds } from '../schema.js';

export type AdvisorRoundKey = { conversationId: string; module: string; round: number };

export type AdvisorRound = AdvisorRoundKey & { reply: ContentBlock[]; model: string; scripted: boolean; toolResults: ToolResultBlock[] | null };

/** Rounds 0..`round` of one advisor, in order. */
export async function roundsUpTo(db: DbOrTx, { conversationId, module, round }: AdvisorRoundKey): Promise<AdvisorRound[]> {
  const rows = await db
    .select()
    .from(advisorRounds)
    .where(and(eq(advisorRounds.conversationId, conversationId), eq(advisorRounds.module, module), lte(advisorRounds.round, round)))
    .orderBy(asc(advisorRounds.round));
  return rows.map(asRound);
}

const asRound = (r: typeof advisorRounds.$inferSelect): AdvisorRound => ({
  ...r,
  reply: r.reply as ContentBlock[],
  toolResults: r.toolResults as ToolResultBlock[] | null,
});

const at = ({ conversationId, module, round }: AdvisorRoundKey) =>
  and(eq(advisorRounds.conversationId, conversationId), eq(advisorRounds.module, module), eq(advisorRounds.round, round));

/** Keeps a round's reply; a second insert for the same round is a no-op and the first reply stands. */
export async function recordRoundReply(db: DbOrTx, round: AdvisorRoundKey & { reply: ContentBlock[]; model: string; scripted: boolean }): Promise<AdvisorRound> {
  await db
    .insert(advisorRounds)
    .values({ ...round, reply: redactDeep(round.reply) })
    .onConflictDoNothing({ target: [advisorRounds.conversationId, advisorRounds.module, advisorRounds.round] });
  const [kept] = await db.select().from(advisorRounds).where(at(round));
  return asRound(kept!);
}

/** Keeps the results of a round's tool calls. */
export async function recordRoundToolResults(db: DbOrTx, key: AdvisorRoundKey, toolResults: ToolResultBlock[]): Promise<void> {
  await db.update(advisorRounds).set({ toolResults: redactDeep(toolResults) }).where(at(key));
}
