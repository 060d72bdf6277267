/**
 * A specialist advisor scopes its part of a confirmed plan. The code advisor may first read the repository with
 * read-only tools (list, read, search) on the project's reference copy, the analytics advisor query the
 * product's events and deploys (analytics-tools.ts); its plan is kept in its own advisor_conversations row,
 * linked to the founder's conversation.
 *
 * The workflow calls `advisorRound` once per model call, so a retried activity resumes at its round instead of
 * paying for the reading again; each round is kept in advisor_rounds.
 */
import { and, eq, sql } from 'drizzle-orm';
import { ADVISOR_READING_ROUNDS } from '../core/advisor-rounds.js';
import { advisorPlanSchema, type Module } from '../core/plan.js';
import { recordRoundReply, recordRoundToolResults, roundsUpTo } from '../db/queries/advisor-rounds.js';
import { getConversation } from '../db/queries/conversations.js';
import { advisorConversations, projects } from '../db/schema.js';
import { completeStructured } from '../llm/structured.js';
import { toolUsesOf, type LlmMessage, type LlmRequest, type LlmResponse, type ToolResultBlock, type ToolSpec, type ToolUseBlock } from '../llm/types.js';
import { defaultToolLimits, executeTool, toolJsonSchemas } from '../runtime/tools/index.js';
import { analyticsFindingSchema, analyticsToolSpecs, runAnalyticsTool, type AdvisorToolOutcome } from './analytics-tools.js';
import type { ActivityDeps, ModelFor } from './deps.js';
import { whileHeartbeating } from './heartbeat.js';
import { prompt } from './prompts/index.js';
import { referenceCopyDir } from './repository-summary.js';

const READ_ONLY_TOOLS = new Set(['list_files', 'read_file', 'search']);

export type AdvisorInput = { projectId: string; conversationId: string; module: Module; requestText: string };
/** One model call of an advisor: round 0, 1, 2, … */
export type AdvisorRoundInput = AdvisorInput & { round: number };
/** The advisor answered (its plan or finding is stored), or it read and wants another round. */
export type AdvisorRoundOutcome = { done: true; summary: string } | { done: false };

export function createAdvisorActivities({ db, home, modelFor }: Pick<ActivityDeps, 'db' | 'home'> & { modelFor: ModelFor }) {
  /** The summary of the advisor's stored plan, once it has one. */
  async function storedSummary({ conversationId, module }: AdvisorInput): Promise<string | undefined> {
    const [existing] = await db
      .select({ result: advisorConversations.result })
      .from(advisorConversations)
      .where(and(eq(advisorConversations.parentId, conversationId), eq(advisorConversations.module, module)));
    return (existing?.result as { summary: string } | null | undefined)?.summary;
  }

  /** What every round of this advisor starts from: its brief, its tools (if it reads), its answer's schema. */
  async function brief({ projectId, conversationId, module, requestText }: AdvisorInput) {
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
    // The code advisor reads the codebase and the analytics advisor queries the product's data before they
    // answer; the growth advisor scopes from the context alone.
    const toolbox: Toolbox | undefined =
      module === 'code' && project
        ? repositoryToolbox(referenceCopyDir(home, projectId))
        : module === 'analytics' && project
          ? { tools: analyticsToolSpecs(), run: (name, input) => runAnalyticsTool({ db, projectId, timezone: project.timezone, now: new Date() }, name, input) }
          : undefined;
    const schema = module === 'analytics' ? analyticsFindingSchema : advisorPlanSchema;
    return { base, toolbox, schema, model: modelFor({ projectId, conversationId }) };
  }

  /** Parses the final reply (re-asking once if it is invalid) and stores the plan; returns its summary. */
  async function answer(input: AdvisorInput, setup: Awaited<ReturnType<typeof brief>>, messages: LlmMessage[], reply?: LlmResponse): Promise<string> {
    const { projectId, conversationId, module, requestText } = input;
    const { value: plan } = await completeStructured(setup.model, { ...setup.base, messages }, setup.schema, undefined, reply);
    // The analytics advisor's queries and their results are the evidence for its finding: kept whole (each
    // result is capped). The code advisor's file reads stay out: the repository has them.
    const kept = module === 'analytics' ? messages : messages.slice(0, 1);
    await db
      .insert(advisorConversations)
      .values({ projectId, module, parentId: conversationId, requestText, status: 'completed', phase: 'done', result: plan, messages: sql`${JSON.stringify(kept)}::jsonb` })
      .onConflictDoUpdate({ target: [advisorConversations.parentId, advisorConversations.module], set: { result: plan, updatedAt: new Date() } });
    return plan.summary;
  }

  return {
    /**
     * The whole advisor in one activity: up to eight reading rounds and the answer. A retry starts again at
     * round one. Kept registered, unchanged, because runs started before `advisorRound` replay with it.
     */
    async advisorPlan(input: AdvisorInput) {
      const done = await storedSummary(input);
      if (done !== undefined) return { summary: done };
      const setup = await brief(input);
      const messages = [...setup.base.messages];
      let finalReply: LlmResponse | undefined;
      if (setup.toolbox) {
        for (let round = 0; round < ADVISOR_READING_ROUNDS; round++) {
          const response = await setup.model.complete({ ...setup.base, messages, tools: setup.toolbox.tools });
          const calls = toolUsesOf(response.content);
          if (calls.length === 0) {
            // Done reading: this reply should be the plan itself.
            finalReply = response;
            break;
          }
          messages.push({ role: 'assistant', content: response.content });
          messages.push({ role: 'user', content: await runCalls(setup.toolbox, calls) });
        }
      }
      return { summary: await answer(input, setup, messages, finalReply) };
    },

    /**
     * One model call of an advisor. A reading round runs the tools the model asked for, keeps them and returns
     * `{ done: false }`; the answer stores the plan (or finding) and returns its summary. From round
     * ADVISOR_READING_ROUNDS on no tools are offered, so that round answers; an advisor without tools (growth)
     * answers in round 0. Idempotent by (conversation, module, round): the reply is kept as soon as the model
     * gives it, so a retried round runs only what is missing and never calls the model again.
     */
    async advisorRound(input: AdvisorRoundInput): Promise<AdvisorRoundOutcome> {
      const { conversationId, module, round } = input;
      const done = await storedSummary(input);
      if (done !== undefined) return { done: true, summary: done };
      const setup = await brief(input);
      const rounds = await roundsUpTo(db, { conversationId, module, round });
      // The workflow asks for a round only after the one before it returned, which kept its tool results.
      const earlier = rounds.filter((r) => r.round < round && r.toolResults);
      if (earlier.length !== round) throw new Error(`Round ${round} of the ${module} advisor was asked for before round ${earlier.length} ended`);
      const messages = [...setup.base.messages];
      for (const r of earlier) messages.push({ role: 'assistant', content: r.reply }, { role: 'user', content: r.toolResults! });

      const tools = round < ADVISOR_READING_ROUNDS ? setup.toolbox : undefined;
      let kept = rounds.find((r) => r.round === round);
      if (!kept) {
        const response = await setup.model.complete(tools ? { ...setup.base, messages, tools: tools.tools } : { ...setup.base, messages, json: true });
        kept = await recordRoundReply(db, { conversationId, module, round, reply: response.content, model: response.model, scripted: response.scripted });
      }
      const calls = tools ? toolUsesOf(kept.reply) : [];
      if (tools && calls.length > 0) {
        if (!kept.toolResults) await recordRoundToolResults(db, { conversationId, module, round }, await runCalls(tools, calls));
        return { done: false };
      }
      const reply: LlmResponse = { content: kept.reply, stopReason: 'end_turn', usage: NO_USAGE, provider: 'recorded', model: kept.model, scripted: kept.scripted };
      return { done: true, summary: await answer(input, setup, messages, reply) };
    },
  };
}

/** Already paid for and accounted by the model caller when it was first given. */
const NO_USAGE = { inputTokens: 0, outputTokens: 0, cachedTokens: 0 };

/** Runs an advisor's tool calls in order; the results answer them in the next message. */
async function runCalls(toolbox: Toolbox, calls: ToolUseBlock[]): Promise<ToolResultBlock[]> {
  return whileHeartbeating(async () => {
    const results: ToolResultBlock[] = [];
    for (const call of calls) {
      const outcome = await toolbox.run(call.name, call.input);
      results.push({ type: 'tool_result', toolUseId: call.id, content: outcome.output, isError: outcome.isError });
    }
    return results;
  });
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
