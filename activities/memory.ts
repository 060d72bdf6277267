/**
 * The memory step: after a conversation ends, a cheap model reads it with the memory as it stands and says
 * what to keep, update, close or doubt. Applied in one transaction with a `memory.updated` event, once per
 * conversation even when the activity is retried.
 */
import { eq } from 'drizzle-orm';
import { memoryUpdateSchema } from '../core/memory.js';
import { getConversation, type ConversationMessage } from '../db/queries/conversations.js';
import { applyMemoryUpdate, listMemories } from '../db/queries/memory.js';
import { appendSessionEvent } from '../db/queries/session-events.js';
import { sessionEvents } from '../db/schema.js';
import { completeStructured } from '../llm/structured.js';
import type { LlmResponse } from '../llm/types.js';
import type { ActivityDeps, ModelFor } from './deps.js';
import { prompt } from './prompts/index.js';

/** Bounds on what the memory step reads, so a long conversation cannot blow up its prompt. */
const MAX_MESSAGES = 40;
const MAX_MESSAGE_CHARS = 2_000;
const MAX_KNOWN = 200;

class AlreadyRemembered extends Error {}

export function createMemoryActivities({ db, modelFor }: Pick<ActivityDeps, 'db'> & { modelFor: ModelFor }) {
  return {
    async rememberConversation({ projectId, conversationId, requestText, key }: { projectId: string; conversationId: string; requestText: string; key: string }) {
      const [done] = await db.select({ id: sessionEvents.id }).from(sessionEvents).where(eq(sessionEvents.idempotencyKey, key));
      if (done) return { skipped: true };
      const conversation = await getConversation(db, conversationId);
      if (!conversation) return { skipped: true };
      const messages = (conversation.messages as ConversationMessage[]).slice(-MAX_MESSAGES).map((m) => ({ role: m.role, text: m.content.slice(0, MAX_MESSAGE_CHARS) }));
      const known = (await listMemories(db, projectId, { limit: MAX_KNOWN })).filter((m) => !m.closedAt).map(({ category, key: k, value }) => ({ category, key: k, value }));
      const recorded: LlmResponse[] = [];
      const { value: update } = await completeStructured(
        modelFor({ projectId, conversationId }),
        {
          role: 'memory',
          tier: 'A',
          system: prompt('memory'),
          messages: [{ role: 'user', content: [{ type: 'text', text: JSON.stringify({ memory: known, conversation: { outcome: conversation.outcome, plan: conversation.plan?.summary ?? null, messages } }) }] }],
          meta: { requestText },
        },
        memoryUpdateSchema,
        async (response) => {
          recorded.push(response);
        },
      );
      const scripted = recorded.some((r) => r.scripted);
      try {
        return await db.transaction(async (tx) => {
          const applied = await applyMemoryUpdate(tx, projectId, conversationId, update);
          const { inserted } = await appendSessionEvent(tx, { conversationId, kind: 'memory.updated', payload: { ...applied, scripted }, idempotencyKey: key });
          // Another attempt got here first: roll this copy back so nothing is applied twice.
          if (!inserted) throw new AlreadyRemembered();
          return { skipped: false, ...applied };
        });
      } catch (err) {
        if (err instanceof AlreadyRemembered) return { skipped: true };
        throw err;
      }
    },
  };
}
