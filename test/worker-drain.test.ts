import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prompt } from '../activities/prompts/index.js';
import { llmCalls } from '../db/schema.js';
import { loadScenarios } from '../llm/scenario.js';
import { runGit } from '../runtime/git/run-git.js';
import { stopProcess } from '../scripts/processes.js';
import type { FakeReply } from './fakes/anthropic-server.js';
import { eventually } from './helpers/poll.js';
import { exitOf } from './helpers/processes.js';
import { startRequestHarness } from './helpers/request-harness.js';
import { spawnTestWorker } from './helpers/temporal.js';
import { startFakeVendors, TEST_PRICES } from './helpers/vendors.js';

/** How long the vendor holds the one slow model turn: long enough for SIGTERM to land in the middle of it. */
const SLOW_TURN_MS = 5_000;

type AnthropicBody = { system?: Array<{ text: string }>; messages: Array<{ role: string; content: string | Array<{ type: string; text?: string }> }> };
type GeminiBody = { systemInstruction?: { parts?: Array<{ text?: string }> }; contents?: Array<{ role?: string; parts?: Array<{ text?: unknown }> }> };

/** One model turn as the vendor sees it: who asks (system prompt), about what (first message), how far in. */
const turnKey = (system: string, firstText: string, turnsBefore: number) =>
  `${createHash('sha256').update(`${system}\0${firstText}`).digest('hex').slice(0, 16)}:${turnsBefore}`;
function anthropicTurn(body: AnthropicBody): string {
  const first = body.messages[0]?.content;
  const firstText = typeof first === 'string' ? first : (first?.find((b) => b.type === 'text')?.text ?? '');
  const system = (body.system ?? []).map((b) => b.text).join('\n');
  return turnKey(system, firstText, body.messages.filter((m) => m.role === 'assistant').length);
}
function geminiTurn(body: GeminiBody): string {
  const contents = body.contents ?? [];
  const firstText = String(contents[0]?.parts?.find((p) => typeof p.text === 'string')?.text ?? '');
  const system = (body.systemInstruction?.parts ?? []).map((p) => p.text ?? '').join('\n');
  return turnKey(system, firstText, contents.filter((c) => c.role === 'model').length);
}

describe('a worker sent SIGTERM while an agent waits on its model', () => {
  let vendors: Awaited<ReturnType<typeof startFakeVendors>>;
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  const workers: ChildProcess[] = [];
  let slowTurn: { key: string; reply: FakeReply } | undefined;

  const startWorker = () => {
    const child = spawnTestWorker({
      databaseUrl: h.database.url,
      taskQueue: h.temporal.taskQueue,
      home: h.deps.home,
      // The real vendor clients, pointed at the local wire-level fakes; every other setting is the product's.
      env: {
        ANTHROPIC_API_KEY: 'sk-test-anthropic-secret',
        ANTHROPIC_BASE_URL: vendors.anthropic.baseURL,
        GEMINI_API_KEY: 'test-gemini-secret',
        GEMINI_BASE_URL: vendors.gemini.baseURL,
        TIER_A_MODEL: 'gemini:gemini-test',
        TIER_B_MODEL: 'anthropic:claude-test',
        TIER_C_MODEL: 'anthropic:claude-test',
        LLM_PRICES: JSON.stringify(TEST_PRICES),
      },
    });
    workers.push(child);
    return child;
  };

  beforeAll(async () => {
    const [referral] = await loadScenarios();
    vendors = await startFakeVendors(referral!);
    // The first agent turn that follows a tool result (so the agent is mid-task) is held for a few seconds.
    const scripted = vendors.anthropic.responder!;
    vendors.anthropic.responder = (body) => {
      const reply = scripted(body);
      const agent = ((body as AnthropicBody).system ?? [])[0]?.text.startsWith(prompt('agent').slice(0, 60));
      if (slowTurn || !agent || !(body as AnthropicBody).messages.some((m) => m.role === 'assistant')) return reply;
      slowTurn = { key: anthropicTurn(body as AnthropicBody), reply };
      return { ...reply, delayMs: SLOW_TURN_MS };
    };
    h = await startRequestHarness([], {}, { inProcessWorker: false });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => stopProcess(w, 5_000)));
    await h?.stop();
    await vendors?.close();
  });

  it('lets the turn finish and exits; a new worker finishes the request, nothing paid or run twice', async () => {
    const first = startWorker();
    const projectId = await h.createProject();
    const { conversationId } = await h.startRequest(projectId, 'Add a referral program');
    await h.waitFor(conversationId, 'the plan card', (c) => c.phase === 'awaiting_confirmation', 120_000);
    await h.call('POST', `/api/conversations/${conversationId}/confirm`, { planVersion: 1 });

    const slow = await eventually('the slow model turn to reach the vendor', async () => slowTurn, 120_000);
    const exit = exitOf(first);
    first.kill('SIGTERM');
    expect(await exit).toEqual({ code: 0, signal: null });

    // The draining worker got the answer and recorded the turn before it exited: no other worker exists yet.
    const toolUse = (slow.reply as { content: Array<{ type: string; id?: string }> }).content.find((b) => b.type === 'tool_use');
    const recorded = (await h.events(conversationId)).filter((e) => e.kind === 'agent.turn');
    expect(recorded.some((e) => (e.payload.content as Array<{ id?: string }>).some((b) => b.id === toolUse?.id))).toBe(true);
    const callsSoFar = await h.database.db.select().from(llmCalls).where(eq(llmCalls.conversationId, conversationId));
    expect(callsSoFar.every((c) => c.outcome === 'ok')).toBe(true);

    startWorker();
    const done = await h.waitFor(conversationId, 'the request to finish', (c) => c.status !== 'running', 180_000);
    expect(done).toMatchObject({ status: 'completed', outcome: 'tasked' });
    expect(done.tasks.every((t) => t.status === 'done')).toBe(true);
    await expect.poll(async () => (await h.events(conversationId)).some((e) => e.kind === 'memory.updated'), { timeout: 30_000 }).toBe(true);

    // Paid once: the vendors saw each model turn once (the slow one included), and each call has one ledger row.
    const turns = [
      ...vendors.anthropic.requests.map((r) => anthropicTurn(r.body as AnthropicBody)),
      ...vendors.gemini.requests.map((r) => geminiTurn(r.body as GeminiBody)),
    ];
    expect(turns.filter((t) => t === slow.key)).toHaveLength(1);
    expect(turns.filter((t, i) => turns.indexOf(t) !== i)).toEqual([]);
    const calls = await h.database.db.select().from(llmCalls).where(eq(llmCalls.conversationId, conversationId));
    expect(calls).toHaveLength(turns.length);
    expect(calls.every((c) => c.outcome === 'ok')).toBe(true);

    // Run once: no activity of any workflow on the queue (turns, commands, git, deploy) was retried after a worker
    // gave it up. The one retry allowed is of an attempt that never reached a worker: on this server the drain
    // cancels its own polls, and a task the server hands to one at that instant is lost in transit, times out and
    // runs on the next worker (temporalio/temporal#9203 and the SDKs' graceful poll shutdown close that window).
    const retried: string[] = [];
    for await (const run of h.temporal.client.workflow.list({ query: `TaskQueue = '${h.temporal.taskQueue}'` })) {
      const history = await h.temporal.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      const scheduled = new Map((history.events ?? []).map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name]));
      for (const event of history.events ?? []) {
        const started = event.activityTaskStartedEventAttributes;
        if (started?.attempt && started.attempt > 1 && !started.lastFailure?.timeoutFailureInfo) {
          const activity = scheduled.get(String(started.scheduledEventId));
          retried.push(`${run.workflowId}: ${activity} attempt ${started.attempt} after ${started.lastFailure?.message}`);
        }
      }
    }
    expect(retried).toEqual([]);
    const events = await h.events(conversationId);
    const toolResults = events.filter((e) => e.kind === 'agent.tool_result').map((e) => `${e.sessionId}:${e.payload.toolUseId}`);
    expect(new Set(toolResults).size).toBe(toolResults.length);
    const log = (await runGit(h.remote.bareDir, ['log', '--format=%H', 'main'])).stdout.split('\n').filter(Boolean);
    expect(log).toHaveLength(2);
    const deploys = (await fs.readFile(path.join(h.deps.home, 'sites', 'demo', 'deploys.log'), 'utf8')).trim().split('\n');
    expect(deploys).toHaveLength(1);
  }, 420_000);
});
