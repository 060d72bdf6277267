import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llmCalls } from '../db/schema.js';
import { loadScenarios } from '../llm/scenario.js';
import { runGit } from '../runtime/git/run-git.js';
import { WIRE_USAGE } from './fakes/scripted-wire.js';
import { startRequestHarness } from './helpers/request-harness.js';
import { startFakeVendors, TEST_PRICES } from './helpers/vendors.js';

describe('the demo request on the real Anthropic and Gemini clients (local wire-level servers)', () => {
  let vendors: Awaited<ReturnType<typeof startFakeVendors>>;
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  beforeAll(async () => {
    const [referral] = await loadScenarios();
    vendors = await startFakeVendors(referral!);
    h = await startRequestHarness([], {}, { deps: { llm: vendors.llm, modelSettings: { prices: TEST_PRICES, budgets: { requestUsd: 5, projectMonthlyUsd: 100 } } } });
  });
  afterAll(async () => {
    await h?.stop();
    await vendors?.close();
  });

  it('ships the referral program, with every call accounted and priced', async () => {
    const projectId = await h.createProject();
    const { conversationId, done } = await h.runConfirmed(projectId, 'Add a referral program');
    expect(done).toMatchObject({ status: 'completed', outcome: 'tasked' });
    const files = (await runGit(h.remote.bareDir, ['ls-tree', '-r', '--name-only', 'main'])).stdout;
    expect(files).toContain('src/referral.js');
    // The memory step runs once the founder has the answer; every call is in the ledger after it.
    await expect.poll(async () => (await h.events(conversationId)).some((e) => e.kind === 'memory.updated'), { timeout: 30_000 }).toBe(true);
    const settled = await h.conversation(conversationId);

    // Tier A (orchestrator, simple tasks) went to Gemini, Tier B (Assist, advisors, feature work) to Anthropic.
    const calls = await h.database.db.select().from(llmCalls).where(eq(llmCalls.conversationId, conversationId));
    const by = (provider: string) => calls.filter((c) => c.provider === provider);
    expect(by('gemini').map((c) => c.role)).toEqual(expect.arrayContaining(['orchestrator', 'agent', 'memory']));
    expect(by('anthropic').map((c) => c.role)).toEqual(expect.arrayContaining(['assist', 'advisor', 'agent', 'followup']));
    expect(calls.every((c) => c.outcome === 'ok' && c.inputTokens === WIRE_USAGE.input && c.cachedTokens === WIRE_USAGE.cached)).toBe(true);
    expect(vendors.anthropic.requests.length + vendors.gemini.requests.length).toBe(calls.length);

    const price = (model: string) => {
      const p = TEST_PRICES[model]!;
      // Each row keeps six decimals (numeric(14, 6)), as a ledger does.
      return Math.round(WIRE_USAGE.input * p.inputPerMTok + WIRE_USAGE.output * p.outputPerMTok + WIRE_USAGE.cached * p.cachedPerMTok) / 1e6;
    };
    const expected = by('anthropic').length * price('claude-test') + by('gemini').length * price('gemini-test');
    expect(settled).toHaveProperty('costUsd');
    expect((settled as unknown as { costUsd: number }).costUsd).toBeCloseTo(expected, 6);

    const usage = await h.call('GET', `/api/projects/${projectId}/usage`);
    expect(usage.status).toBe(200);
    expect(usage.body.totalUsd).toBeCloseTo(expected, 6);
    expect(usage.body.usage.map((u: { tier: string; model: string }) => `${u.tier}:${u.model}`).sort()).toEqual(['A:gemini-test', 'B:claude-test']);

    // Real model output is not labelled scripted; the API keys never reach the event stream.
    const events = await h.events(conversationId);
    expect(events.filter((e) => e.kind === 'assistant.message').every((e) => e.payload.scripted === false)).toBe(true);
    expect(JSON.stringify(events)).not.toMatch(/secret/);
    // The long stable part of each Anthropic prompt is marked for caching.
    expect((vendors.anthropic.requests[0]!.body.system as Array<{ cache_control?: unknown }>)[0]!.cache_control).toEqual({ type: 'ephemeral' });
  });
});
