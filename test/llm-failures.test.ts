import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { llmCalls } from '../db/schema.js';
import { loadScenarios } from '../llm/scenario.js';
import { anthropicError } from './fakes/anthropic-server.js';
import { eventually } from './helpers/poll.js';
import { startRequestHarness } from './helpers/request-harness.js';
import { startFakeVendors, TEST_PRICES } from './helpers/vendors.js';

type Harness = Awaited<ReturnType<typeof startRequestHarness>>;

async function setup(budgets = { requestUsd: 5, projectMonthlyUsd: 100 }) {
  const [referral] = await loadScenarios();
  const vendors = await startFakeVendors(referral!);
  const h = await startRequestHarness([], {}, { deps: { llm: vendors.llm, modelSettings: { prices: TEST_PRICES, budgets } } });
  return { vendors, h, projectId: await h.createProject() };
}

const assistCalls = (h: Harness, conversationId: string) =>
  h.database.db.select().from(llmCalls).where(and(eq(llmCalls.conversationId, conversationId), eq(llmCalls.role, 'assist')));

describe('model vendor failures', () => {
  let ctx: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    ctx = await setup();
  });
  afterAll(async () => {
    await ctx?.h.stop();
    await ctx?.vendors.close();
  });
  afterEach(() => ctx.vendors.anthropic.requests.splice(0));

  it('a 429 is retried after its Retry-After and the request goes on', async () => {
    ctx.vendors.anthropic.enqueue({ status: 429, headers: { 'retry-after': '1' } });
    const { conversationId } = await ctx.h.startRequest(ctx.projectId, 'Add a referral program');
    const c = await ctx.h.waitFor(conversationId, 'the plan card', (x) => x.phase === 'awaiting_confirmation');
    expect(c.plan?.version).toBe(1);
    const calls = await assistCalls(ctx.h, conversationId);
    expect(calls.map((x) => x.outcome).sort()).toEqual(['error', 'ok']);
    await ctx.h.call('POST', `/api/conversations/${conversationId}/decline`);
  });

  it('a 400 fails the request at once, in plain words, without retrying', async () => {
    ctx.vendors.anthropic.enqueue({ status: 400, body: anthropicError(400, 'tools.0.input_schema: unsupported keyword') });
    const { conversationId } = await ctx.h.startRequest(ctx.projectId, 'Add a referral program');
    const c = await ctx.h.waitFor(conversationId, 'the failure', (x) => x.status !== 'running');
    expect(c.status).toBe('failed');
    expect(c.error).toMatch(/The AI provider rejected the request.*unsupported keyword/);
    expect(ctx.vendors.anthropic.requests).toHaveLength(1);
  });

  it('stop aborts a model call in flight', async () => {
    ctx.vendors.anthropic.enqueue({ content: [{ type: 'text', text: '{}' }], delayMs: 60_000 });
    const { conversationId } = await ctx.h.startRequest(ctx.projectId, 'Add a referral program');
    await eventually('the call in flight', async () => (ctx.vendors.anthropic.requests.length > 0 ? true : undefined));
    expect((await ctx.h.call('POST', `/api/conversations/${conversationId}/stop`)).status).toBe(202);
    expect((await ctx.h.waitFor(conversationId, 'the stop', (x) => x.status !== 'running')).status).toBe('stopped');
    const cancelled = await eventually(
      'the aborted call',
      async () => (await assistCalls(ctx.h, conversationId)).find((c) => c.outcome === 'cancelled'),
      30_000,
    );
    expect(cancelled.latencyMs).toBeLessThan(30_000);
  });

  it('invalid structured output is asked for once more with the validation error', async () => {
    const [referral] = await loadScenarios();
    ctx.vendors.anthropic.enqueue({ content: [{ type: 'text', text: 'Sure! I would love to help with referrals.' }] });
    ctx.vendors.anthropic.enqueue({ content: [{ type: 'text', text: JSON.stringify(referral!.assist[0]) }] });
    const { conversationId } = await ctx.h.startRequest(ctx.projectId, 'Add a referral program');
    await ctx.h.waitFor(conversationId, 'the plan card', (x) => x.phase === 'awaiting_confirmation');
    const [, second] = ctx.vendors.anthropic.requests;
    const lastMessage = JSON.stringify((second!.body.messages as unknown[]).at(-1));
    expect(lastMessage).toMatch(/not valid: the reply was not a JSON object/);
    await ctx.h.call('POST', `/api/conversations/${conversationId}/decline`);
  });
});

describe('budgets', () => {
  // Each Anthropic call costs $0.00615 here: the request may make two before it must ask.
  let ctx: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    ctx = await setup({ requestUsd: 0.01, projectMonthlyUsd: 100 });
  });
  afterAll(async () => {
    await ctx?.h.stop();
    await ctx?.vendors.close();
  });

  const untilPaused = async () => {
    const { conversationId } = await ctx.h.startRequest(ctx.projectId, 'Add a referral program');
    await ctx.h.waitFor(conversationId, 'the plan card', (x) => x.phase === 'awaiting_confirmation');
    await ctx.h.call('POST', `/api/conversations/${conversationId}/confirm`, { planVersion: 1 });
    const paused = await ctx.h.waitFor(conversationId, 'the budget pause', (x) => Boolean((x as { budgetPause?: unknown }).budgetPause));
    return { conversationId, paused: paused as typeof paused & { budgetPause: { scope: string; limitUsd: number }; costUsd: number } };
  };

  it('pauses the request at its budget, asks the founder, and resumes where it stopped when allowed more', async () => {
    const { conversationId, paused } = await untilPaused();
    expect(paused.status).toBe('running');
    expect(paused.budgetPause).toMatchObject({ scope: 'request', limitUsd: 0.01 });
    expect(paused.messages.at(-1)?.content).toMatch(/reached its budget.*Shall I spend up to \$1 more/);
    const callsAtPause = ctx.vendors.anthropic.requests.length + ctx.vendors.gemini.requests.length;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(ctx.vendors.anthropic.requests.length + ctx.vendors.gemini.requests.length).toBe(callsAtPause);

    expect((await ctx.h.call('POST', `/api/conversations/${conversationId}/budget`, { amountUsd: 1 })).status).toBe(202);
    const done = await ctx.h.waitFor(conversationId, 'the end', (x) => x.status !== 'running', 120_000);
    expect(done).toMatchObject({ status: 'completed', outcome: 'tasked' });
    expect((done as unknown as { costUsd: number }).costUsd).toBeGreaterThan(0.01);
  });

  it('two raises sent at once: one is taken, the other refused, and the budget rises once', async () => {
    const { conversationId } = await untilPaused();
    const raise = () => ctx.h.call('POST', `/api/conversations/${conversationId}/budget`, { amountUsd: 1 });
    const answers = await Promise.all([raise(), raise()]);
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    expect(answers.find((a) => a.status === 409)?.body.error.code).toBeOneOf(['already_answered', 'not_paused_for_budget']);
    const done = await ctx.h.waitFor(conversationId, 'the end', (x) => x.status !== 'running', 120_000);
    expect(done).toMatchObject({ status: 'completed', outcome: 'tasked' });
    const raised = (await ctx.h.events(conversationId)).filter((e) => e.kind === 'budget.raised');
    expect(raised.map((e) => e.payload)).toEqual([{ amountUsd: 1 }]);
  });

  it('stops the request cleanly when the founder says no', async () => {
    const { conversationId } = await untilPaused();
    expect((await ctx.h.call('POST', `/api/conversations/${conversationId}/decline`)).status).toBe(202);
    const done = await ctx.h.waitFor(conversationId, 'the stop', (x) => x.status !== 'running');
    expect(done.status).toBe('stopped');
    expect(done.error).toMatch(/Stopped at the request budget/);
    expect((await ctx.h.call('POST', `/api/conversations/${conversationId}/budget`, { amountUsd: 1 })).status).toBe(409);
  });
});
