/**
 * The coding agent's two kinds of step. `agentTurn` asks the model for its next move given the transcript so
 * far; `runTool` executes one tool call from that move. Both read and write the transcript as session events
 * keyed by session, attempt and step, so a retried step returns what was recorded instead of acting twice.
 */
import { createHash } from 'node:crypto';
import { and, asc, eq, like, sql } from 'drizzle-orm';
import type { Tier } from '../core/plan.js';
import { appendSessionEvent } from '../db/queries/session-events.js';
import { agentSessions, projects, sessionEvents } from '../db/schema.js';
import { toolUsesOf, type ContentBlock, type LlmMessage, type ToolResultBlock } from '../llm/types.js';
import { detectChecks, runChecks } from '../runtime/checks.js';
import { commandContext } from './command-context.js';
import { executeTool, toolJsonSchemas, type ToolContext, type ToolOutcome } from '../runtime/tools/index.js';
import type { ActivityDeps, ModelFor } from './deps.js';
import { whileHeartbeating } from './heartbeat.js';
import { prompt } from './prompts/index.js';

type StepRef = { sessionId: string; conversationId: string; attempt: number; turn: number };
type TurnPayload = { attempt: number; turn: number; content: ContentBlock[]; scripted: boolean; model: string };
type ToolResultPayload = {
  toolUseId: string;
  name: string;
  output: string;
  isError: boolean;
  changedFiles: string[];
  finish?: string;
  /** The agent called finish but the project's checks failed, so the task goes on. */
  checksFailed?: boolean;
  signature: string;
};

const NUDGE = 'Continue with the task. Use the tools; when the task is complete, call finish with a summary.';

export function createAgentActivities({ db, modelFor, toolContext }: Pick<ActivityDeps, 'db' | 'toolContext'> & { modelFor: ModelFor }) {
  /** Runs the project's checks before a finish counts; each result is an event the founder can see. */
  async function checkBeforeFinish(ctx: ToolContext, done: ToolOutcome, at: { conversationId: string; sessionId: string; key: string }): Promise<ToolOutcome> {
    const results = await runChecks(ctx, await detectChecks(ctx.root));
    for (const r of results) {
      await appendSessionEvent(db, {
        conversationId: at.conversationId,
        sessionId: at.sessionId,
        kind: 'check.result',
        payload: { name: r.name, command: r.command, ok: r.ok, output: r.output.slice(-4_000) },
        idempotencyKey: `${at.key}:check:${r.name}`,
      });
    }
    const failed = results.find((r) => !r.ok);
    if (!failed) {
      const passed = results.map((r) => r.name).join(', ');
      return { ...done, output: passed ? `${done.output}\nChecks passed: ${passed}.` : done.output };
    }
    return {
      output: `The task is not finished: the ${failed.name} check (\`${failed.command}\`) failed.\n${failed.output.slice(-6_000)}\nFix the problem, then call finish again.`,
      isError: true,
      changedFiles: done.changedFiles,
    };
  }

  const prefix = (sessionId: string, attempt: number) => `${sessionId}:a${attempt}:`;

  async function transcript(sessionId: string, attempt: number) {
    return db
      .select({ kind: sessionEvents.kind, payload: sessionEvents.payload, key: sessionEvents.idempotencyKey })
      .from(sessionEvents)
      .where(and(eq(sessionEvents.sessionId, sessionId), like(sessionEvents.idempotencyKey, `${prefix(sessionId, attempt)}%`)))
      .orderBy(asc(sessionEvents.seq));
  }

  /** The attempt's transcript as model messages: instructions, the agent's turns, the tools' results. */
  function toMessages(events: Awaited<ReturnType<typeof transcript>>): LlmMessage[] {
    const messages: LlmMessage[] = [];
    for (const e of events) {
      if (e.kind === 'agent.instructions') messages.push({ role: 'user', content: [{ type: 'text', text: (e.payload as { text: string }).text }] });
      if (e.kind === 'agent.turn') messages.push({ role: 'assistant', content: (e.payload as TurnPayload).content });
      if (e.kind === 'agent.tool_result') {
        const r = e.payload as ToolResultPayload;
        const block: ToolResultBlock = { type: 'tool_result', toolUseId: r.toolUseId, content: r.output, isError: r.isError };
        const last = messages.at(-1);
        if (last?.role === 'user' && last.content.every((b) => b.type === 'tool_result')) last.content.push(block);
        else messages.push({ role: 'user', content: [block] });
      }
    }
    const last = messages.at(-1);
    if (last?.role === 'assistant') messages.push({ role: 'user', content: [{ type: 'text', text: NUDGE }] });
    return messages;
  }

  return {
    async agentTurn(input: StepRef & { tier: Tier; taskId: string; requestText: string }) {
      const { sessionId, conversationId, attempt, turn } = input;
      const key = `${prefix(sessionId, attempt)}turn:${turn}`;
      const events = await transcript(sessionId, attempt);
      const recorded = events.find((e) => e.key === key);
      let payload = recorded?.payload as TurnPayload | undefined;
      if (!payload) {
        const [session] = await db.select({ projectId: agentSessions.projectId }).from(agentSessions).where(eq(agentSessions.id, sessionId));
        const request = {
          role: 'agent' as const,
          tier: input.tier,
          system: prompt('agent'),
          messages: toMessages(events),
          tools: toolJsonSchemas(),
          meta: { requestText: input.requestText, taskId: input.taskId, attempt },
        };
        const response = await modelFor({ projectId: session?.projectId ?? '', conversationId, sessionId }).complete(request);
        payload = { attempt, turn, content: response.content, scripted: response.scripted, model: response.model };
        await appendSessionEvent(db, { conversationId, sessionId, kind: 'agent.turn', payload, idempotencyKey: key });
      }
      const text = payload.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join(' ');
      return { toolCalls: toolUsesOf(payload.content).map((c) => ({ id: c.id, name: c.name })), text: text.slice(0, 300) };
    },

    async runTool(input: StepRef & { toolUseId: string; workdir: string }) {
      const { sessionId, conversationId, attempt, turn, toolUseId, workdir } = input;
      const key = `${prefix(sessionId, attempt)}tool:${toolUseId}`;
      const events = await transcript(sessionId, attempt);
      let result = events.find((e) => e.key === key)?.payload as ToolResultPayload | undefined;
      if (!result) {
        const turnEvent = events.find((e) => e.key === `${prefix(sessionId, attempt)}turn:${turn}`);
        const call = toolUsesOf((turnEvent?.payload as TurnPayload | undefined)?.content ?? []).find((c) => c.id === toolUseId);
        if (!call) throw new Error(`Tool call ${toolUseId} is not in turn ${turn} of session ${sessionId}`);
        const [project] = await db
          .select({ allowNetwork: projects.allowNetwork })
          .from(projects)
          .innerJoin(agentSessions, sql`${agentSessions.projectId} = ${projects.id}::text`)
          .where(eq(agentSessions.id, sessionId));
        const outcome = await whileHeartbeating(async (signal) => {
          const ctx = await commandContext(toolContext, workdir, { allowNetwork: project?.allowNetwork ?? false }, signal);
          const done = await executeTool(ctx, call.name, call.input);
          // `finish` is accepted only when the project's checks pass; otherwise the agent gets their output.
          return done.finish ? await checkBeforeFinish(ctx, done, { conversationId, sessionId, key }) : done;
        });
        // Same tool, same input: the workflow counts repeats of a failing call by this fingerprint.
        const signature = createHash('sha256').update(`${call.name}\0${JSON.stringify(call.input)}`).digest('hex').slice(0, 16);
        result = {
          toolUseId,
          name: call.name,
          output: outcome.output,
          isError: outcome.isError,
          changedFiles: outcome.changedFiles ?? [],
          finish: outcome.finish?.summary,
          checksFailed: call.name === 'finish' && !outcome.finish,
          signature,
        };
        await appendSessionEvent(db, { conversationId, sessionId, kind: 'agent.tool_result', payload: result, idempotencyKey: key });
      }
      return { isError: result.isError, changedFiles: result.changedFiles, finish: result.finish, checksFailed: Boolean(result.checksFailed), signature: result.signature ?? '' };
    },
  };
}
