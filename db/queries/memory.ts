/**
 * What Assist remembers about a project (advisor_memory): as the founder reads and corrects it, as Assist
 * recalls it for a turn, and as a finished conversation updates it. One row per key, so a new statement about
 * the same thing replaces the old one; a deleted row is gone, so it can never reach a later prompt.
 */
import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../client.js';
import { advisorMemory } from '../schema.js';

export const MEMORY_CATEGORIES = ['decision', 'preference', 'open', 'context', 'experiment'] as const;
export type MemoryCategory = (typeof MEMORY_CATEGORIES)[number];

export type MemoryView = {
  id: string;
  category: string;
  key: string;
  value: string;
  confidence: number;
  pinned: boolean;
  /** Set once an open item was resolved: kept for the record, no longer recalled. */
  closedAt: string | null;
  sourceConversationId: string | null;
  createdAt: string;
  updatedAt: string;
};

export type MemoryPatch = Partial<{ category: MemoryCategory; key: string; value: string; confidence: number; pinned: boolean }>;

/** Below this, a memory that later statements contradicted is no longer recalled (but still listed). */
export const RECALL_MIN_CONFIDENCE = 0.25;

const columns = {
  id: advisorMemory.id,
  category: advisorMemory.category,
  key: advisorMemory.key,
  value: advisorMemory.value,
  confidence: advisorMemory.confidence,
  pinned: advisorMemory.pinned,
  closedAt: advisorMemory.closedAt,
  sourceConversationId: advisorMemory.sourceConversationId,
  createdAt: advisorMemory.createdAt,
  updatedAt: advisorMemory.updatedAt,
};

type Row = Omit<MemoryView, 'confidence' | 'closedAt' | 'createdAt' | 'updatedAt'> & {
  confidence: number | null;
  closedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

const toView = (row: Row): MemoryView => ({
  ...row,
  confidence: row.confidence ?? 1,
  closedAt: row.closedAt?.toISOString() ?? null,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

const ofProject = (projectId: string, id: string) => and(eq(advisorMemory.projectId, projectId), eq(advisorMemory.id, id));

/** Memory keys are snake_case slugs, so "Pricing model" and "pricing_model" are one key. */
export const memoryKey = (raw: string) =>
  raw
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 80);

const matches = (query: string) => sql`${advisorMemory.search} @@ websearch_to_tsquery('english', ${query})`;

/** A project's memories, pinned first, then by category and most recently changed; `query` narrows by full text. */
export async function listMemories(db: Db, projectId: string, options: { query?: string; limit?: number } = {}): Promise<MemoryView[]> {
  const rows = await db
    .select(columns)
    .from(advisorMemory)
    .where(and(eq(advisorMemory.projectId, projectId), options.query ? matches(options.query) : undefined))
    .orderBy(desc(advisorMemory.pinned), asc(advisorMemory.category), desc(advisorMemory.updatedAt))
    .limit(options.limit ?? 500);
  return rows.map(toView);
}

/** Changes one memory of the project; `undefined` when it has no such memory, 'key_taken' when the new key is another's. */
export async function updateMemory(db: Db, projectId: string, id: string, patch: MemoryPatch): Promise<MemoryView | 'key_taken' | undefined> {
  const set = { ...patch, ...(patch.key ? { key: memoryKey(patch.key) } : {}), updatedAt: new Date() };
  try {
    const [row] = await db.update(advisorMemory).set(set).where(ofProject(projectId, id)).returning(columns);
    return row ? toView(row) : undefined;
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === '23505' || (err as { code?: string }).code === '23505') return 'key_taken';
    throw err;
  }
}

/** Deletes one memory of the project; false when there was none. */
export async function deleteMemory(db: Db, projectId: string, id: string): Promise<boolean> {
  const rows = await db.delete(advisorMemory).where(ofProject(projectId, id)).returning({ id: advisorMemory.id });
  return rows.length > 0;
}

/** A memory as Assist is shown it. */
export type RecalledMemory = { category: string; key: string; value: string; confidence: number; pinned: boolean };

/**
 * The memories worth showing Assist for `text`, within about `tokenBudget` tokens: pinned and open items
 * first (the founder asked for the one, Assist should follow up on the other), then by relevance to the text
 * (full-text rank), confidence and recency. Closed and much-contradicted items are never recalled.
 */
export async function recallMemories(db: DbOrTx, projectId: string, text: string, tokenBudget: number): Promise<RecalledMemory[]> {
  // Any word of the text counts (OR): a founder's question shares a word or two with what is relevant, rarely all.
  const words = [...new Set(text.toLowerCase().match(/[a-z0-9]{3,}/g) ?? [])].slice(0, 40);
  const rank = words.length ? sql<number>`ts_rank(${advisorMemory.search}, to_tsquery('english', ${words.join(' | ')}))` : sql<number>`0`;
  const ageDays = sql`extract(epoch from (now() - ${advisorMemory.updatedAt})) / 86400`;
  const score = sql`(${rank} * 4 + coalesce(${advisorMemory.confidence}, 1) + 1 / (1 + ${ageDays} / 30))`;
  const rows = await db
    .select({ category: advisorMemory.category, key: advisorMemory.key, value: advisorMemory.value, confidence: advisorMemory.confidence, pinned: advisorMemory.pinned })
    .from(advisorMemory)
    .where(and(eq(advisorMemory.projectId, projectId), isNull(advisorMemory.closedAt), sql`coalesce(${advisorMemory.confidence}, 1) >= ${RECALL_MIN_CONFIDENCE}`))
    .orderBy(desc(advisorMemory.pinned), desc(sql`${advisorMemory.category} = 'open'`), desc(score), asc(advisorMemory.key))
    .limit(200);
  const recalled: RecalledMemory[] = [];
  let tokens = 0;
  for (const row of rows) {
    // About four characters a token: close enough to keep the prompt's share bounded.
    const cost = Math.ceil((row.key.length + row.value.length + 24) / 4);
    if (tokens + cost > tokenBudget) break;
    tokens += cost;
    recalled.push({ ...row, confidence: row.confidence ?? 1 });
  }
  return recalled;
}

/** What a finished conversation teaches: items to keep (by key), open items it resolved, items it contradicted. */
export type MemoryUpdate = {
  items: Array<{ category: MemoryCategory; key: string; value: string; confidence: number }>;
  resolved: string[];
  contradicted: string[];
};

/** How much a contradiction lowers an older item's confidence. */
const CONTRADICTION_DECAY = 0.5;

/**
 * Applies a conversation's memory update in one transaction: same key replaces (value, category, confidence,
 * source; reopened if it was closed), resolved open items are closed, contradicted ones lose confidence.
 */
export async function applyMemoryUpdate(tx: DbOrTx, projectId: string, conversationId: string, update: MemoryUpdate) {
  const now = new Date();
  const written = new Set<string>();
  for (const item of update.items) {
    const key = memoryKey(item.key);
    if (!key || written.has(key)) continue;
    written.add(key);
    await tx
      .insert(advisorMemory)
      .values({ projectId, category: item.category, key, value: item.value, confidence: item.confidence, sourceConversationId: conversationId })
      .onConflictDoUpdate({
        target: [advisorMemory.projectId, advisorMemory.key],
        set: { category: item.category, value: item.value, confidence: item.confidence, sourceConversationId: conversationId, closedAt: null, updatedAt: now },
      });
  }
  const resolved = update.resolved.map(memoryKey).filter((k) => k && !written.has(k));
  if (resolved.length) {
    await tx
      .update(advisorMemory)
      .set({ closedAt: now, updatedAt: now })
      .where(and(eq(advisorMemory.projectId, projectId), inArray(advisorMemory.key, resolved), eq(advisorMemory.category, 'open'), isNull(advisorMemory.closedAt)));
  }
  const contradicted = update.contradicted.map(memoryKey).filter((k) => k && !written.has(k));
  if (contradicted.length) {
    await tx
      .update(advisorMemory)
      .set({ confidence: sql`coalesce(${advisorMemory.confidence}, 1) * ${CONTRADICTION_DECAY}`, updatedAt: now })
      .where(and(eq(advisorMemory.projectId, projectId), inArray(advisorMemory.key, contradicted)));
  }
  return { written: [...written], resolved, contradicted };
}
