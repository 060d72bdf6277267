/** Assist's turns: the reply to the founder (answer, question or plan card) and the closing follow-up. */
import { assistReplySchema, followUpSchema, type AssistReply } from '../core/plan.js';
import { eq } from 'drizzle-orm';
import { advisorConversations, agentSessions } from '../db/schema.js';
import { appendMessage, getConversation, type ConversationMessage } from '../db/queries/conversations.js';
import { appendSessionEvent } from '../db/queries/session-events.js';
import { completeStructured } from '../llm/structured.js';
import type { LlmMessage, LlmResponse } from '../llm/types.js';
import type { ActivityDeps, ModelFor } from './deps.js';
import { prompt } from './prompts/index.js';

type TurnInput = { projectId: string; conversationId: string; requestText: string; key: string };

/** The conversation as the model sees it: the founder's words, and Assist's own structured replies. */
function toLlmMessages(messages: ConversationMessage[]): LlmMessage[] {
  return messages.map((m) =>
    m.role === 'founder'
      ? { role: 'user', content: [{ type: 'text', text: m.content }] }
      : { role: 'assistant', content: [{ type: 'text', text: JSON.stringify(m.reply ?? { kind: 'answer', text: m.content }) }] },
  );
}

export function createAssistActivities({ db, modelFor }: Pick<ActivityDeps, 'db'> & { modelFor: ModelFor }) {
  async function conversationFor(conversationId: string) {
    const conversation = await getConversation(db, conversationId);
    if (!conversation) throw new Error(`Conversation ${conversationId} does not exist`);
    return { conversation, messages: conversation.messages as ConversationMessage[] };
  }

  return {
    async assistTurn({ projectId, conversationId, requestText, key }: TurnInput): Promise<AssistReply> {
      const { conversation, messages } = await conversationFor(conversationId);
      const done = messages.find((m) => m.id === key);
      if (done) return done.reply as AssistReply;

      const recorded: LlmResponse[] = [];
      const request = {
        role: 'assist' as const,
        tier: 'B' as const,
        system: `${prompt('assist')}\n\nWhat you know about the product:\n${JSON.stringify(conversation.contextSnapshot ?? {})}`,
        messages: toLlmMessages(messages),
        meta: { requestText },
      };
      const { value: reply } = await completeStructured(modelFor({ projectId, conversationId }), request, assistReplySchema, async (response) => {
        recorded.push(response);
      });
      const scripted = recorded.some((r) => r.scripted);
      await appendMessage(db, conversationId, { id: key, role: 'assist', content: reply.text, reply, scripted, timestamp: new Date().toISOString() });
      await appendSessionEvent(db, {
        conversationId,
        kind: 'assistant.message',
        payload: { text: reply.text, replyKind: reply.kind, scripted },
        idempotencyKey: `${key}:message`,
      });
      if (reply.kind === 'plan') {
        const version = messages.filter((m) => (m.reply as AssistReply | undefined)?.kind === 'plan').length + 1;
        await appendSessionEvent(db, { conversationId, kind: 'plan.card', payload: { ...reply.plan, version, scripted }, idempotencyKey: `${key}:plan` });
      }
      return reply;
    },

    /**
     * Assist tells the founder, in plain words, what is now live; or, for a data question (no deploy), what the
     * advisors found.
     */
    async followUpTurn(input: TurnInput & { deploy: { status: string; url?: string | null } | null }) {
      const { projectId, conversationId, requestText, key } = input;
      const { conversation, messages } = await conversationFor(conversationId);
      if (messages.some((m) => m.id === key)) return;
      const tasks = await db
        .select({ title: agentSessions.plan, status: agentSessions.status, output: agentSessions.output })
        .from(agentSessions)
        .where(eq(agentSessions.conversationId, conversationId));
      const advisors = (await db.select({ module: advisorConversations.module, result: advisorConversations.result }).from(advisorConversations).where(eq(advisorConversations.parentId, conversationId)))
        .map((a) => ({ module: a.module, summary: (a.result as { summary?: string } | null)?.summary ?? null }))
        .sort((a, b) => a.module.localeCompare(b.module));
      const request = {
        role: 'followup' as const,
        tier: 'B' as const,
        system: input.deploy ? prompt('followup') : `${prompt('followup')}\n${prompt('followup-findings')}`,
        messages: [
          {
            role: 'user' as const,
            content: [{ type: 'text' as const, text: JSON.stringify({ request: requestText, plan: conversation.plan, advisors, tasks, deploy: input.deploy }) }],
          },
        ],
        meta: { requestText },
      };
      const recorded: LlmResponse[] = [];
      const { value } = await completeStructured(modelFor({ projectId, conversationId }), request, followUpSchema, async (response) => {
        recorded.push(response);
      });
      const scripted = recorded.some((r) => r.scripted);
      await appendMessage(db, conversationId, { id: key, role: 'assist', content: value.text, reply: { kind: 'answer', text: value.text }, scripted, timestamp: new Date().toISOString() });
      await appendSessionEvent(db, { conversationId, kind: 'assistant.message', payload: { text: value.text, replyKind: 'follow_up', scripted }, idempotencyKey: `${key}:message` });
    },
  };
}
