import fs from 'node:fs/promises';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTHING_TO_REMEMBER } from '../core/memory.js';
import { seedAnalyticsData, type GeneratedAnalytics } from '../demo/analytics-data.js';
import { advisorConversations, deploys, llmCalls } from '../db/schema.js';
import { loadScenarios, type Scenario } from '../llm/scenario.js';
import type { ContentBlock, LlmMessage } from '../llm/types.js';
import { runGit } from '../runtime/git/run-git.js';
import { startRequestHarness } from './helpers/request-harness.js';
import { startFakeVendors, TEST_PRICES } from './helpers/vendors.js';

const QUESTION = 'Why did signups drop last week?';
const DAY = 86_400_000;

type Harness = Awaited<ReturnType<typeof startRequestHarness>>;
type Compared = {
  deploy: { commit: string };
  platforms: Array<{ platform: string; before: number; after: number; changePct: number; errorRateBeforePct: number; errorRateAfterPct: number }>;
};

/** Each tool call the analytics advisor made, with the result our tools returned for it. */
async function advisorToolResults(h: Harness, conversationId: string) {
  const [row] = await h.database.db
    .select()
    .from(advisorConversations)
    .where(and(eq(advisorConversations.parentId, conversationId), eq(advisorConversations.module, 'analytics')));
  const blocks = (row!.messages as LlmMessage[]).flatMap((m) => m.content);
  const results = new Map(blocks.flatMap((b: ContentBlock) => (b.type === 'tool_result' ? [[b.toolUseId, b] as const] : [])));
  return {
    finding: (row!.result as { summary: string }).summary,
    calls: blocks.flatMap((b) => (b.type === 'tool_use' ? [{ name: b.name, input: b.input, result: results.get(b.id)! }] : [])),
  };
}

/** The question, asked and confirmed on a project with generated analytics; what a founder (and the remote) would see. */
async function askWhySignupsDropped(h: Harness) {
  const projectId = await h.createProject();
  const data = await seedAnalyticsData(h.database.db, projectId, { seed: 42 });
  const head = (await runGit(h.remote.bareDir, ['rev-parse', 'main'])).stdout.trim();
  const { conversationId, done } = await h.runConfirmed(projectId, QUESTION);
  return { projectId, data, head, conversationId, done };
}

/** What the generated data says the comparison around the culprit must show, counted without SQL. */
function expectedAround(data: GeneratedAnalytics, platform: string) {
  const at = data.culprit.finishedAt.getTime();
  const signups = data.events.filter((e) => e.name === 'signup' && e.platform === platform);
  return {
    before: signups.filter((e) => e.occurredAt.getTime() >= at - 7 * DAY && e.occurredAt.getTime() < at).length,
    after: signups.filter((e) => e.occurredAt.getTime() >= at).length,
  };
}

/** The comparison the advisor's tool returned names the culprit's commit and the mobile drop the data holds. */
function expectToolsFoundTheDrop(calls: Awaited<ReturnType<typeof advisorToolResults>>['calls'], data: GeneratedAnalytics) {
  expect(calls.map((c) => c.name)).toEqual(['daily_counts', 'deploys', 'error_rate', 'compare_around_deploy']);
  expect(calls.every((c) => c.result && !c.result.isError)).toBe(true);

  const listed = JSON.parse(calls[1]!.result.content) as { deploys: Array<{ commit: string }> };
  expect(listed.deploys.map((d) => d.commit)).toContain(data.culprit.commit);

  const compared = JSON.parse(calls[3]!.result.content) as Compared;
  expect(compared.deploy.commit).toBe(data.culprit.commit);
  const by = (p: string) => compared.platforms.find((x) => x.platform === p)!;
  for (const platform of ['ios', 'android', 'web']) expect(by(platform)).toMatchObject(expectedAround(data, platform));
  for (const platform of ['ios', 'android']) {
    expect(by(platform).changePct).toBeLessThan(-50);
    expect(by(platform).errorRateAfterPct).toBeGreaterThan(3);
    expect(by(platform).errorRateBeforePct).toBeLessThan(1);
  }
  expect(by('web').changePct).toBeGreaterThan(-30);

  // The daily counts show the same: mobile signups per day fell after the deploy's day, web's did not.
  const daily = JSON.parse(calls[0]!.result.content) as { days: Array<{ day: string; platform: string; count: number }> };
  const liveDay = data.culprit.finishedAt.toISOString().slice(0, 10);
  const mean = (platform: string, after: boolean) => {
    const rows = daily.days.filter((d) => d.platform === platform && (after ? d.day > liveDay : d.day < liveDay));
    return rows.reduce((s, d) => s + d.count, 0) / rows.length;
  };
  expect(mean('ios', true)).toBeLessThan(mean('ios', false) / 2);
  expect(mean('android', true)).toBeLessThan(mean('android', false) / 2);
}

/** Nothing about the product changed: no commit on the remote, no deploy, no task. */
async function expectNothingBuilt(h: Harness, { head, conversationId, projectId }: { head: string; conversationId: string; projectId: string }) {
  expect((await runGit(h.remote.bareDir, ['rev-parse', 'main'])).stdout.trim()).toBe(head);
  expect(await h.database.db.select().from(deploys).where(eq(deploys.conversationId, conversationId))).toEqual([]);
  await expect(fs.access(path.join(h.deps.home, 'sites', 'demo', 'deploys.log'))).rejects.toThrow();
  const events = await h.events(conversationId);
  expect(events.filter((e) => e.kind === 'deploy' || e.kind.startsWith('agent.') || e.kind.startsWith('task.'))).toEqual([]);
  const roles = (await h.database.db.select({ role: llmCalls.role }).from(llmCalls).where(eq(llmCalls.conversationId, conversationId))).map((c) => c.role);
  expect(roles).not.toContain('orchestrator');
  expect(roles).not.toContain('agent');
  expect(projectId).toBeTruthy();
}

describe('"Why did signups drop last week?" on generated data: answered from the data, nothing built', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startRequestHarness(await loadScenarios());
  });
  afterAll(() => h?.stop());

  it("finds the deploy after which mobile signups fell, with its commit, and ends with Assist's answer", async () => {
    const asked = await askWhySignupsDropped(h);
    const { done, data, conversationId } = asked;
    expect(done).toMatchObject({ status: 'completed', phase: 'done', outcome: 'tasked', error: null, tasks: [] });
    expect(done.plan?.items).toEqual([expect.objectContaining({ module: 'analytics' }), expect.objectContaining({ module: 'analytics' })]);
    await expectNothingBuilt(h, asked);

    const { calls, finding } = await advisorToolResults(h, conversationId);
    expectToolsFoundTheDrop(calls, data);

    // The scenario's canned words name the commit the tools found (the seed's data is deterministic), and the
    // follow-up is the founder's answer.
    expect(finding).toContain(data.culprit.commit.slice(0, 7));
    expect(done.messages.at(-1)).toMatchObject({ role: 'assist', content: expect.stringContaining(data.culprit.commit.slice(0, 7)) });
  });
});

describe('the same question on the real Anthropic client (local wire-level server)', () => {
  let vendors: Awaited<ReturnType<typeof startFakeVendors>>;
  let h: Harness;
  beforeAll(async () => {
    const scenario = (await loadScenarios()).find((s) => s.name === 'signup-drop') as Scenario;
    vendors = await startFakeVendors(scenario);
    // A data question never reaches Tier A (orchestrator, agents): the one Gemini call is the memory step after it.
    vendors.gemini.enqueue({ parts: [{ text: JSON.stringify(NOTHING_TO_REMEMBER) }], finishReason: 'STOP' });
    h = await startRequestHarness([], {}, { deps: { llm: vendors.llm, modelSettings: { prices: TEST_PRICES, budgets: { requestUsd: 5, projectMonthlyUsd: 100 } } } });
  });
  afterAll(async () => {
    await h?.stop();
    await vendors?.close();
  });

  it('sends the tools as Anthropic tool definitions and their results back as tool_result blocks', async () => {
    const asked = await askWhySignupsDropped(h);
    expect(asked.done).toMatchObject({ status: 'completed', outcome: 'tasked', tasks: [] });
    await expectNothingBuilt(h, asked);
    expectToolsFoundTheDrop((await advisorToolResults(h, asked.conversationId)).calls, asked.data);

    // On the wire: the advisor's requests offered the tools, and the last one carried the comparison's result.
    const advisorRequests = vendors.anthropic.requests.filter((r) => Array.isArray(r.body.tools) && (r.body.tools as Array<{ name: string }>).some((t) => t.name === 'compare_around_deploy'));
    expect(advisorRequests.length).toBeGreaterThanOrEqual(5);
    const lastTurn = JSON.stringify((advisorRequests.at(-1)!.body.messages as unknown[]).at(-1));
    expect(lastTurn).toContain('tool_result');
    expect(lastTurn).toContain(asked.data.culprit.commit);
  });
});
