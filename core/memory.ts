/** What the memory step asks of a model after each conversation, bounded so a rambling reply is refused. */
import { z } from 'zod';
import { MEMORY_CATEGORIES } from '../db/queries/memory.js';

const key = z.string().trim().min(1).max(80).describe('snake_case name of the thing remembered, e.g. pricing_model');

export const memoryItemSchema = z.object({
  category: z.enum(MEMORY_CATEGORIES),
  key,
  value: z.string().trim().min(1).max(500).describe('What is true or wanted, in one or two plain sentences'),
  confidence: z.number().min(0).max(1),
});

export const memoryUpdateSchema = z.object({
  items: z.array(memoryItemSchema).max(20).describe('New or changed items; reuse an existing key to update it'),
  resolved: z.array(key).max(20).default([]).describe('Keys of open items this conversation settled'),
  contradicted: z.array(key).max(20).default([]).describe('Keys of existing items this conversation contradicts (other than those updated)'),
});
export type MemoryUpdateReply = z.infer<typeof memoryUpdateSchema>;

/** What a conversation with nothing worth keeping yields. */
export const NOTHING_TO_REMEMBER: MemoryUpdateReply = { items: [], resolved: [], contradicted: [] };
