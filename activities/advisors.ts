/**
 * A specialist advisor scopes its part of a confirmed plan. The code advisor may first read the repository with
 * read-only tools (list, read, search) on the project's reference copy, the analytics advisor query the
 * product's events and deploys (analytics-tools.ts); its plan is kept in its own advisor_conversations row,
 * linked to the founder's conversation.
 */
import { and, eq, sql } from 'drizzle-orm';
import { advisorPlanSchema, type Module } from '../core/plan.js';
import { getConversation } from '../db/queries/conversations.js';
import { advisorConversations, projects } from '../db/schema.js';
import { completeStructured } from '../llm/structured.js';
import { toolUsesOf, type LlmMessage, type LlmRequest, type LlmResponse, type ToolSpec } from '../llm/types.js';
import { defaultToolLimits, executeTool, toolJsonSchemas } from '../runtime/tools/index.js';
import { analyticsFindingSchema, analyticsToolSpecs, runAnalyticsTool, type AdvisorToolOutcome } from './analytics-tools.js';
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
      // The code advisor reads the codebase and the analytics advisor queries the product's data before they
      // answer; the growth advisor scopes from the context alone.
      const toolbox: Toolbox | undefined =
        module === 'code' && project
          ? repositoryToolbox(referenceCopyDir(home, projectId))
          : module === 'analytics' && project
            ? { tools: analyticsToolSpecs(), run: (name, input) => runAnalyticsTool({ db, projectId, timezone: project.timezone, now: new Date() }, name, input) }
            : undefined;
      if (toolbox) {
        for (let round = 0; round < MAX_READING_ROUNDS; round++) {
          const request = { ...base, messages, tools: toolbox.tools };
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
            const outcome = await toolbox.run(call.name, call.input);
            results.push({ type: 'tool_result' as const, toolUseId: call.id, content: outcome.output, isError: outcome.isError });
          }
          messages.push({ role: 'user', content: results });
        }
      }

      const schema = module === 'analytics' ? analyticsFindingSchema : advisorPlanSchema;
      const { value: plan } = await completeStructured(model, { ...base, messages }, schema, undefined, finalReply);
      // The analytics advisor's queries and their results are the evidence for its finding: kept whole (each
      // result is capped). The code advisor's file reads stay out: the repository has them.
      const kept = module === 'analytics' ? messages : messages.slice(0, 1);
      await db
        .insert(advisorConversations)
        .values({ projectId, module, parentId: conversationId, requestText, status: 'completed', phase: 'done', result: plan, messages: sql`${JSON.stringify(kept)}::jsonb` })
        .onConflictDoUpdate({ target: [advisorConversations.parentId, advisorConversations.module], set: { result: plan, updatedAt: new Date() } });
      return { summary: plan.summary };
    },
  };
}

/** The read-only tools an advisor may call before it answers, and how a call is run. */
type Toolbox = { tools: ToolSpec[]; run(name: string, input: unknown): Promise<AdvisorToolOutcome> };

// Read-only tools run no command; should one ever be let through, it gets the default sandbox, not none.
const READ_ONLY_SANDBOX = {};

/** List, read and search on the project's reference copy. */
function repositoryToolbox(root: string): Toolbox {
  return {
    tools: toolJsonSchemas().filter((t) => READ_ONLY_TOOLS.has(t.name)),
    run: (name, input) =>
      READ_ONLY_TOOLS.has(name)
        ? executeTool({ root, limits: defaultToolLimits, sandbox: READ_ONLY_SANDBOX }, name, input)
        : Promise.resolve({ output: `Only ${[...READ_ONLY_TOOLS].join(', ')} are available while scoping.`, isError: true }),
  };
}
