/**
 * What Assist remembers about a project (advisor_memory), as the founder reads and corrects it. A deleted row
 * is gone, so it can never reach a later prompt.
 */
import { and, asc, desc, eq } from 'drizzle-orm';
import type { Db } from '../client.js';
import { advisorMemory } from '../schema.js';

export const MEMORY_CATEGORIES = ['decision', 'preference', 'open', 'context', 'experiment'] as const;
export type MemoryCategory = (typeof MEMORY_CATEGORIES)[number];

export type MemoryView = {
  id: string;
  category: string;
  key: string;
  value: string;
  confidence: number;
  sourceConversationId: string | null;
  createdAt: string;
  updatedAt: string;
};

export type MemoryPatch = Partial<{ category: MemoryCategory; key: string; value: string; confidence: number }>;

const columns = {
  id: advisorMemory.id,
  category: advisorMemory.category,
  key: advisorMemory.key,
  value: advisorMemory.value,
  confidence: advisorMemory.confidence,
  sourceConversationId: advisorMemory.sourceConversationId,
  createdAt: advisorMemory.createdAt,
  updatedAt: advisorMemory.updatedAt,
};

type Row = Omit<MemoryView, 'confidence' | 'createdAt' | 'updatedAt'> & { confidence: number | null; createdAt: Date; updatedAt: Date };

const toView = (row: Row): MemoryView => ({
  ...row,
  confidence: row.confidence ?? 1,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

const ofProject = (projectId: string, id: string) => and(eq(advisorMemory.projectId, projectId), eq(advisorMemory.id, id));

/** A project's memories by category, most recently changed first. */
export async function listMemories(db: Db, projectId: string, limit = 500): Promise<MemoryView[]> {
  const rows = await db
    .select(columns)
    .from(advisorMemory)
    .where(eq(advisorMemory.projectId, projectId))
    .orderBy(asc(advisorMemory.category), desc(advisorMemory.updatedAt))
    .limit(limit);
  return rows.map(toView);
}

/** Changes one memory of the project; `undefined` when the project has no such memory. */
export async function updateMemory(db: Db, projectId: string, id: string, patch: MemoryPatch): Promise<MemoryView | undefined> {
  const [row] = await db
    .update(advisorMemory)
    .set({ ...patch, updatedAt: new Date() })
    .where(ofProject(projectId, id))
    .returning(columns);
  return row ? toView(row) : undefined;
}

/** Deletes one memory of the project; false when there was none. */
export async function deleteMemory(db: Db, projectId: string, id: string): Promise<boolean> {
  const rows = await db.delete(advisorMemory).where(ofProject(projectId, id)).returning({ id: advisorMemory.id });
  return rows.length > 0;
}
