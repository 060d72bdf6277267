/**
 * A specialist advisor scopes its part of a confirmed plan. The advisor may first read the repository with
 * read-only tools (list, read, search) on the project's reference copy; its plan is kept in its own
 * advisor_conversations row, linked to the founder's conversation.
 */
import { and, eq, sql } from 'drizzle-orm';
import { advisorPlanSchema, type Module } from '../core/plan.js';
import { getConversation } from '../db/queries/conversations.js';
import { advisorConversations, projects } from '../db/schema.js';
import { completeStructured } from '../llm/structured.js';
import { toolUsesOf, type LlmMessage, type LlmRequest, type LlmResponse } from '../llm/types.js';
import { defaultToolLimits, executeTool, toolJsonSchemas } from '../runtime/tools/index.js';
import type { ActivityDeps, ModelFor } from './deps.js';
import { prompt } from './prompts/index.js';
import { referenceCopyDir } from './repository-summary.js';

const READ_ONLY_TOOLS = new Set(['list_files', 'read_file', 'search']);
/** Reading rounds before the advisor must answer with its plan. */
const MAX_READING_ROUNDS = 8;

export function createAdvisorActivities({ db, home, modelFor }: Pick<ActivityDeps, 'db' | 'home'> & { modelFor: ModelFor }) {
  return {
    async advisorPlan({ projectId, conversationId, module, requestText }: { projectId: string; conversationId: string; module: Module; requestText: string }) {
      const existing = await db
        .select()
        .from(advisorConversations)
        .where(and(eq(advisorConversations.parentId, conversationId), eq(advisorConversations.module, module)));
      if (existing[0]?.result) return { summary: (existing[0].result as { summary: string }).summary };

      const parent = await getConversation(db, conversationId);
      const [project] = await db.select().from(projects).where(eq(projects.id, projectId));
      const items = (parent?.plan?.items ?? []).filter((i) => (i as { module: string }).module === module);
      const messages: LlmMessage[] = [
        {
          role: 'user',
          content: [{ type: 'text', text: JSON.stringify({ founderRequest: requestText, confirmedPlan: parent?.plan?.summary, yourItems: items, context: parent?.contextSnapshot }) }],
        },
      ];
      const base: LlmRequest = { role: 'advisor', tier: 'B', system: `${prompt('advisor')}\nYou are the ${module} advisor.`, messages, meta: { requestText, module } };
      const model = modelFor({ projectId, conversationId });

      let finalReply: LlmResponse | undefined;
      // The code advisor reads the codebase before it scopes; the others scope from the context alone.
      if (module === 'code' && project) {
        const tools = toolJsonSchemas().filter((t) => READ_ONLY_TOOLS.has(t.name));
        const root = referenceCopyDir(home, projectId);
        for (let round = 0; round < MAX_READING_ROUNDS; round++) {
          const request = { ...base, messages, tools };
          const response = await model.complete(request);
          const calls = toolUsesOf(response.content);
          if (calls.length === 0) {
            // Done reading: this reply should be the plan itself.
            finalReply = response;
            break;
          }
          messages.push({ role: 'assistant', content: response.content });
          const results = [];
          for (const call of calls) {
            const outcome = READ_ONLY_TOOLS.has(call.name)
              ? await executeTool({ root, limits: defaultToolLimits }, call.name, call.input)
              : { output: `Only ${[...READ_ONLY_TOOLS].join(', ')} are available while scoping.`, isError: true };
            results.push({ type: 'tool_result' as const, toolUseId: call.id, content: outcome.output, isError: outcome.isError });
          }
          messages.push({ role: 'user', content: results });
        }
      }

      const { value: plan } = await completeStructured(model, { ...base, messages }, advisorPlanSchema, undefined, finalReply);
      await db
        .insert(advisorConversations)
        .values({ projectId, module, parentId: conversationId, requestText, status: 'completed', phase: 'done', result: plan, messages: sql`${JSON.stringify(messages.slice(0, 1))}::jsonb` })
        .onConflictDoUpdate({ target: [advisorConversations.parentId, advisorConversations.module], set: { result: plan, updatedAt: new Date() } });
      return { summary: plan.summary };
    },
  };
}
