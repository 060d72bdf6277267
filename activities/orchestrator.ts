/**
 * The orchestrator turns the advisors' plans into a task graph. The full graph (with instructions) is kept on
 * the conversation row; the workflow receives only what it schedules with, and validates it.
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Module } from '../core/plan.js';
import { taskGraphSchema, type TaskNode } from '../core/task-graph.js';
import { getConversation, updateConversation } from '../db/queries/conversations.js';
import { advisorConversations } from '../db/schema.js';
import { extractJson } from '../llm/structured.js';
import { textOf, type LlmMessage } from '../llm/types.js';
import type { ActivityDeps, ModelFor } from './deps.js';
import { prompt } from './prompts/index.js';

type OrchestrateInput = { projectId: string; conversationId: string; requestText: string; modules: Module[]; attempt: number; previousError?: string };
export type OrchestrateResult = { ok: true; tasks: TaskNode[] } | { ok: false; error: string };

export function createOrchestratorActivities({ db, modelFor }: Pick<ActivityDeps, 'db'> & { modelFor: ModelFor }) {
  return {
    async orchestrate({ projectId, conversationId, requestText, modules, attempt, previousError }: OrchestrateInput): Promise<OrchestrateResult> {
      const advisors = await db.select().from(advisorConversations).where(eq(advisorConversations.parentId, conversationId));
      const plans = advisors.filter((a) => modules.includes(a.module as Module)).map((a) => ({ module: a.module, plan: a.result }));
      const conversation = await getConversation(db, conversationId);
      const stored = (conversation?.result ?? {}) as { lastOrchestratorReply?: string };
      const messages: LlmMessage[] = [{ role: 'user', content: [{ type: 'text', text: JSON.stringify({ founderRequest: requestText, advisorPlans: plans }) }] }];
      if (attempt > 1 && previousError) {
        messages.push({ role: 'assistant', content: [{ type: 'text', text: stored.lastOrchestratorReply ?? '{}' }] });
        messages.push({ role: 'user', content: [{ type: 'text', text: `That graph was rejected: ${previousError}\nReply with a corrected graph.` }] });
      }
      const request = { role: 'orchestrator' as const, tier: 'A' as const, system: prompt('orchestrator'), messages, json: true, meta: { requestText } };
      const response = await modelFor({ projectId, conversationId }).complete(request);
      const text = textOf(response.content);

      let graph;
      try {
        const parsed = taskGraphSchema.safeParse(extractJson(text));
        if (!parsed.success) {
          await updateConversation(db, conversationId, { result: { lastOrchestratorReply: text } });
          return { ok: false, error: z.prettifyError(parsed.error).slice(0, 2_000) };
        }
        graph = parsed.data;
      } catch {
        await updateConversation(db, conversationId, { result: { lastOrchestratorReply: text.slice(0, 20_000) } });
        return { ok: false, error: 'The reply was not a JSON object.' };
      }
      await updateConversation(db, conversationId, { result: { graph, lastOrchestratorReply: text } });
      return { ok: true, tasks: graph.tasks.map(({ instructions: _omit, ...node }) => node) };
    },
  };
}
