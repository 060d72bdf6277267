import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { listSessionEvents } from '../db/queries/session-events.js';
import { llmCalls } from '../db/schema.js';
import { AnthropicProvider } from '../llm/anthropic-provider.js';
import { TierRouter } from '../llm/tier-router.js';
import type { LlmRequest, LlmResponse } from '../llm/types.js';
import { startFakeAnthropic, type FakeAnthropic } from '../test/fakes/anthropic-server.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { TEST_PRICES } from '../test/helpers/vendors.js';
import { createModelCaller } from './model-caller.js';

const request: LlmRequest = {
  role: 'assist',
  tier: 'B',
  system: 'You are Assist.',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'What do referral programs need?' }] }],
  meta: { requestText: 'referrals' },
};

describe('the model caller (real Anthropic client, wire-level fake)', () => {
  let database: TestDatabase;
  let fake: FakeAnthropic;
  let modelFor: ReturnType<typeof createModelCaller>;
  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    fake = await startFakeAnthropic();
    const provider = new AnthropicProvider({ apiKey: 'sk-test', baseURL: fake.baseURL });
    const router = new TierRouter(
      { A: { provider, model: 'claude-test' }, B: { provider, model: 'claude-test' }, C: { provider, model: 'claude-test' } },
      new Set(['assist']),
    );
    modelFor = createModelCaller(database.db, router, { prices: TEST_PRICES, budgets: { requestUsd: 5, projectMonthlyUsd: 100 } });
  });
  afterAll(async () => {
    await fake?.close();
    await database?.drop();
  });

  const call = (conversationId: string): Promise<LlmResponse> =>
    new MockActivityEnvironment().run(() => modelFor({ projectId: 'p1', conversationId }).complete(request));

  it('turns web search on for Assist and keeps the sources it used as an event', async () => {
    const conversationId = randomUUID();
    fake.enqueue({
      content: [
        { type: 'server_tool_use', id: 'srv_1', name: 'web_search', input: { query: 'referral programs' } },
        { type: 'web_search_tool_result', tool_use_id: 'srv_1', content: [{ type: 'web_search_result', url: 'https://a.example/referrals', title: 'Referral guide', encrypted_content: 'x', page_age: null }] },
        { type: 'text', text: 'Two-sided rewards work best.' },
      ],
      usage: { input_tokens: 100, output_tokens: 20 },
    });
    const response = await call(conversationId);
    expect(response.sources).toEqual([{ url: 'https://a.example/referrals', title: 'Referral guide' }]);
    expect(JSON.stringify(fake.requests.at(-1)!.body.tools)).toContain('web_search');
    const events = await listSessionEvents(database.db, conversationId);
    expect(events).toEqual([expect.objectContaining({ kind: 'web.sources', payload: expect.objectContaining({ role: 'assist', sources: response.sources }) })]);
    const [row] = await database.db.select().from(llmCalls).where(eq(llmCalls.conversationId, conversationId));
    expect(row).toMatchObject({ provider: 'anthropic', model: 'claude-test', inputTokens: 100, outputTokens: 20, outcome: 'ok' });
    expect(Number(row!.costUsd)).toBeCloseTo((100 * 3 + 20 * 15) / 1e6, 6);
  });

  it('hands a 429 to Temporal as a retryable failure that waits the Retry-After', async () => {
    fake.enqueue({ status: 429, headers: { 'retry-after': '3' } });
    const err = await call(randomUUID()).catch((e: ApplicationFailure) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'Llm_rate_limited', nonRetryable: false });
    expect((err as ApplicationFailure).nextRetryDelay).toBe(3000);
  });

  it('hands a 529 to Temporal as retryable and a 401 as final, with the error row recorded', async () => {
    const conversationId = randomUUID();
    fake.enqueue({ status: 529 });
    await expect(call(conversationId)).rejects.toMatchObject({ type: 'Llm_unavailable', nonRetryable: false });
    fake.enqueue({ status: 401 });
    await expect(call(conversationId)).rejects.toMatchObject({ type: 'Llm_unauthorized', nonRetryable: true, message: expect.stringMatching(/check the API key/) });
    const rows = await database.db.select().from(llmCalls).where(eq(llmCalls.conversationId, conversationId));
    expect(rows.map((r) => r.outcome)).toEqual(['error', 'error']);
  });
});
