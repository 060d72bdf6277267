/**
 * Records the histories the replay test replays (`npm run histories:record`; skipped in `npm test`): real
 * requests through the real stack, one per path through the request workflow, each saved with the histories
 * of the task workflows it started, into test/histories/<VIBN_HISTORY_SET or current>/. The set is emptied
 * first, so a re-recording holds exactly the same files. Each path checks it ended the way its name says,
 * so a changed product cannot quietly record another path under an old name.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAnalyticsData } from '../../demo/analytics-data.js';
import { deploys, llmCalls } from '../../db/schema.js';
import { loadScenarios } from '../../llm/scenario.js';
import { confirmSignal } from '../../workflows/request-contract.js';
import { eventually } from '../helpers/poll.js';
import { startRequestHarness, type Conversation } from '../helpers/request-harness.js';
import { startFakeVendors, TEST_PRICES } from '../helpers/vendors.js';
import { HISTORIES_DIR, saveRequestHistories } from './history-files.js';
import { recordedScenarios } from './recorded-scenarios.js';

const RECORDING = process.env.VIBN_RECORD_HISTORIES === '1';
const SET = process.env.VIBN_HISTORY_SET ?? 'current';
const SET_DIR = path.join(HISTORIES_DIR, SET);
/** A path takes seconds; the ten-task graph and the budget raise take the longest. */
const PATH_TIMEOUT_MS = 240_000;

type Harness = Awaited<ReturnType<typeof startRequestHarness>>;

const ended = (h: Harness, conversationId: string) => h.waitFor(conversationId, 'the end', (c) => c.status !== 'running', 180_000);
const post = (h: Harness, id: string, action: string, body?: unknown) => h.call('POST', `/api/conversations/${id}/${action}`, body);
const record = (h: Harness, name: string, workflowId: string) => saveRequestHistories(h.temporal.client, SET_DIR, name, workflowId);

/**
 * Sends a founder action once the workflow waits for one: a build that takes actions as Workflow Updates
 * refuses an answer (409 still_thinking) between Assist's reply reaching the conversation and the workflow
 * starting to wait, a moment the API cannot see. A refusal for any other reason is returned as it is.
 */
const postWhenWaiting = (h: Harness, id: string, action: string, body?: unknown) =>
  eventually(`the workflow to take ${action}`, async () => {
    const res = await post(h, id, action, body);
    return res.status === 409 && res.body?.error?.code === 'still_thinking' ? undefined : res;
  });

/** Starts a request and waits for its first plan card. */
async function toPlanCard(h: Harness, projectId: string, text: string) {
  const started = await h.startRequest(projectId, text);
  await h.waitFor(started.conversationId, 'the plan card', (c) => c.phase === 'awaiting_confirmation');
  return started;
}

/** Starts a request, confirms its first plan card and waits for the end. */
async function confirmed(h: Harness, projectId: string, text: string) {
  const { conversationId, workflowId } = await toPlanCard(h, projectId, text);
  await post(h, conversationId, 'confirm', { planVersion: 1 });
  return { conversationId, workflowId, done: await ended(h, conversationId) };
}

/** Stops a request once `held` says the step to stop at is in flight; the request must end stopped. */
async function stopWhen(h: Harness, conversationId: string, held: () => Promise<unknown>) {
  await eventually('the step to stop at', async () => ((await held()) ? true : undefined), 60_000);
  expect((await post(h, conversationId, 'stop')).status).toBe(202);
  expect((await ended(h, conversationId)).status).toBe('stopped');
}

const phaseIs = (h: Harness, conversationId: string, phase: string, also: (c: Conversation) => boolean = () => true) => async () => {
  const c = await h.conversation(conversationId);
  return c.phase === phase && also(c);
};

describe.skipIf(!RECORDING)(`recording request histories into test/histories/${SET}`, () => {
  beforeAll(async () => {
    // The set's name becomes a folder that is emptied: only a plain name.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(SET)) throw new Error(`VIBN_HISTORY_SET must be a plain folder name, not ${SET}`);
    await fs.rm(SET_DIR, { recursive: true, force: true });
    await fs.mkdir(SET_DIR, { recursive: true });
  });

  describe('scripted paths', () => {
    let h: Harness;
    let projectId: string;
    beforeAll(async () => {
      h = await startRequestHarness([...recordedScenarios, ...(await loadScenarios())], { maxParallelTasks: 3 });
      projectId = await h.createProject();
    });
    afterAll(() => h?.stop());

    it('answer', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { conversationId, workflowId } = await h.startRequest(projectId, 'answer: how are signups?');
      expect(await ended(h, conversationId)).toMatchObject({ status: 'completed', outcome: null, plan: null });
      await record(h, 'answer', workflowId);
    });

    it('a message sent while Assist thinks, taken up after its answer', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { conversationId, workflowId } = await h.startRequest(projectId, 'message-after-answer: how are signups?');
      expect((await post(h, conversationId, 'message', { text: 'Where did they come from?' })).status).toBe(202);
      const done = await ended(h, conversationId);
      expect(done).toMatchObject({ status: 'completed', outcome: null });
      expect(done.messages.map((m) => m.role)).toEqual(['founder', 'assist', 'founder', 'assist']);
      await record(h, 'message-after-answer', workflowId);
    });

    it('clarifying question, then a plan, confirmed and built', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { conversationId, workflowId } = await h.startRequest(projectId, 'question about notes');
      await h.waitFor(conversationId, 'the question', (c) => c.messages.at(-1)?.content === 'Who is this for?');
      expect((await postWhenWaiting(h, conversationId, 'message', { text: 'For founders' })).status).toBe(202);
      await h.waitFor(conversationId, 'the plan card', (c) => c.phase === 'awaiting_confirmation');
      await post(h, conversationId, 'confirm', { planVersion: 1 });
      expect(await ended(h, conversationId)).toMatchObject({ status: 'completed', outcome: 'tasked' });
      await record(h, 'question', workflowId);
    });

    it('plan, confirm, tasked: committed, pushed, deployed', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { conversationId, workflowId, done } = await confirmed(h, projectId, 'tasked notes');
      expect(done).toMatchObject({ status: 'completed', outcome: 'tasked' });
      expect((await h.events(conversationId)).find((e) => e.kind === 'deploy')?.payload).toMatchObject({ status: 'succeeded' });
      await record(h, 'tasked', workflowId);
    });

    it('revise, a stale confirm refused by the workflow, then the revision confirmed', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { conversationId, workflowId } = await toPlanCard(h, projectId, 'revise notes');
      await post(h, conversationId, 'revise', { text: 'make it shorter' });
      await h.waitFor(conversationId, 'plan 2', (c) => c.plan?.version === 2 && c.phase === 'awaiting_confirmation');
      // Straight to Temporal, past the API's own check: the workflow records the refusal in its history.
      await h.temporal.client.workflow.getHandle(workflowId).signal(confirmSignal, { planVersion: 1 });
      await eventually('the refusal', async () => (await h.events(conversationId)).find((e) => e.kind === 'signal.refused'));
      await post(h, conversationId, 'confirm', { planVersion: 2 });
      expect(await ended(h, conversationId)).toMatchObject({ status: 'completed', outcome: 'tasked' });
      await record(h, 'revise', workflowId);
    });

    it('decline', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { conversationId, workflowId } = await toPlanCard(h, projectId, 'decline notes');
      await post(h, conversationId, 'decline');
      expect(await ended(h, conversationId)).toMatchObject({ status: 'completed', outcome: 'declined' });
      await record(h, 'decline', workflowId);
    });

    it('stop while assisting (a clarifying question waits for its answer)', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { conversationId, workflowId } = await h.startRequest(projectId, 'stop-assisting notes');
      await stopWhen(h, conversationId, phaseIs(h, conversationId, 'assisting', (c) => c.messages.at(-1)?.content === 'Who is this for?'));
      await record(h, 'stop-assisting', workflowId);
    });

    it('stop at the plan card', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { conversationId, workflowId } = await toPlanCard(h, projectId, 'stop-awaiting-confirmation notes');
      await stopWhen(h, conversationId, phaseIs(h, conversationId, 'awaiting_confirmation'));
      await record(h, 'stop-awaiting-confirmation', workflowId);
    });

    it('stop while planning (the code advisor is reading)', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { conversationId, workflowId } = await toPlanCard(h, projectId, 'stop-planning notes');
      await post(h, conversationId, 'confirm', { planVersion: 1 });
      const advisorCalled = async () =>
        (await h.database.db.select().from(llmCalls).where(and(eq(llmCalls.conversationId, conversationId), eq(llmCalls.role, 'advisor')))).length > 0;
      await stopWhen(h, conversationId, async () => (await phaseIs(h, conversationId, 'planning')()) && (await advisorCalled()));
      await record(h, 'stop-planning', workflowId);
    });

    it('stop while executing (a task is running)', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { conversationId, workflowId } = await toPlanCard(h, projectId, 'stop-executing notes');
      await post(h, conversationId, 'confirm', { planVersion: 1 });
      await stopWhen(h, conversationId, phaseIs(h, conversationId, 'executing', (c) => c.tasks.some((t) => t.status === 'running')));
      await record(h, 'stop-executing', workflowId);
    });

    it('stop while integrating (the deploy is running)', { timeout: PATH_TIMEOUT_MS }, async () => {
      const slowProject = await h.createProject('slow-deploy', { kind: 'command', command: 'sleep 20' });
      const { conversationId, workflowId } = await toPlanCard(h, slowProject, 'stop-integrating notes');
      await post(h, conversationId, 'confirm', { planVersion: 1 });
      const deploying = async () => (await h.database.db.select().from(deploys).where(eq(deploys.conversationId, conversationId))).length > 0;
      await eventually('the deploy to run', async () => ((await phaseIs(h, conversationId, 'integrating')()) && (await deploying()) ? true : undefined), 60_000);
      const stop = await post(h, conversationId, 'stop');
      // Builds with all-or-nothing integration refuse a stop once the commit has begun, and go live.
      if (stop.status === 409) {
        expect(stop.body.error.code).toBe('already_going_live');
        expect(await ended(h, conversationId)).toMatchObject({ status: 'completed', outcome: 'tasked' });
      } else {
        expect(stop.status).toBe(202);
        expect((await ended(h, conversationId)).status).toBe('stopped');
      }
      await record(h, 'stop-integrating', workflowId);
    });

    it('failure: a task fails on its tier and the next, its dependent is skipped', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { workflowId, done } = await confirmed(h, projectId, 'failed graph');
      expect(done.status).toBe('failed');
      expect(Object.fromEntries(done.tasks.map((t) => [t.id, t.status]))).toEqual({ ok: 'done', doomed: 'failed', after: 'skipped' });
      await record(h, 'failed', workflowId);
    });

    it('failure: the orchestrator gives an invalid graph twice', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { workflowId, done } = await confirmed(h, projectId, 'invalid-graph please');
      expect(done).toMatchObject({ status: 'failed', tasks: [] });
      await record(h, 'invalid-graph', workflowId);
    });

    it('a ten-task graph, one task escalated to tier B', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { workflowId, done } = await confirmed(h, projectId, 'graph10 of tasks');
      expect(done).toMatchObject({ status: 'completed', outcome: 'tasked' });
      expect(done.tasks.map((t) => t.status)).toEqual(Array(10).fill('done'));
      await record(h, 'graph10', workflowId);
    });

    it('a merge conflict sent back to its task to resolve', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { conversationId, workflowId, done } = await confirmed(h, projectId, 'conflict on the title');
      expect(done).toMatchObject({ status: 'completed', outcome: 'tasked' });
      expect((await h.events(conversationId)).some((e) => e.kind === 'task.conflict')).toBe(true);
      await record(h, 'conflict', workflowId);
    });

    it('analytics only: a data question answered by the advisor, nothing built', { timeout: PATH_TIMEOUT_MS }, async () => {
      const analyticsProject = await h.createProject('analytics');
      await seedAnalyticsData(h.database.db, analyticsProject, { seed: 42 });
      const { workflowId, done } = await confirmed(h, analyticsProject, 'Why did signups drop last week?');
      expect(done).toMatchObject({ status: 'completed', outcome: 'tasked', tasks: [] });
      await record(h, 'analytics', workflowId);
    });
  });

  describe('a plan card nobody answers', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startRequestHarness(recordedScenarios, { confirmTimeoutMs: 1_500 });
    });
    afterAll(() => h?.stop());

    it('deferred', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { conversationId, workflowId } = await h.startRequest(await h.createProject(), 'deferred notes');
      expect(await ended(h, conversationId)).toMatchObject({ status: 'completed', outcome: 'deferred' });
      await record(h, 'deferred', workflowId);
    });
  });

  describe('budget pauses', () => {
    // As in llm-failures.test.ts: each vendor call costs $0.00615, so the request may make two before it asks.
    let vendors: Awaited<ReturnType<typeof startFakeVendors>>;
    let h: Harness;
    let projectId: string;
    beforeAll(async () => {
      const referral = (await loadScenarios()).find((s) => s.name === 'referral-program')!;
      vendors = await startFakeVendors(referral);
      h = await startRequestHarness([], {}, { deps: { llm: vendors.llm, modelSettings: { prices: TEST_PRICES, budgets: { requestUsd: 0.01, projectMonthlyUsd: 100 } } } });
      projectId = await h.createProject();
    });
    afterAll(async () => {
      await h?.stop();
      await vendors?.close();
    });

    const untilPaused = async () => {
      const { conversationId, workflowId } = await toPlanCard(h, projectId, 'Add a referral program');
      await post(h, conversationId, 'confirm', { planVersion: 1 });
      await h.waitFor(conversationId, 'the budget pause', (c) => Boolean((c as { budgetPause?: unknown }).budgetPause));
      return { conversationId, workflowId };
    };

    it('budget pause, then raised: the work goes on', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { conversationId, workflowId } = await untilPaused();
      expect((await post(h, conversationId, 'budget', { amountUsd: 1 })).status).toBe(202);
      expect(await ended(h, conversationId)).toMatchObject({ status: 'completed', outcome: 'tasked' });
      await record(h, 'budget-raise', workflowId);
    });

    it('budget pause, then declined: the request stops', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { conversationId, workflowId } = await untilPaused();
      expect((await post(h, conversationId, 'decline')).status).toBe(202);
      expect(await ended(h, conversationId)).toMatchObject({ status: 'stopped' });
      await record(h, 'budget-decline', workflowId);
    });
  });

  describe('a budget pause inside a task', () => {
    // $0.03 lasts until the first task's third model call (tier B, $0.00615 a call); one task at a time, so it is
    // always the same task that pauses and is started again (`-r1`) once the founder raises the budget.
    let vendors: Awaited<ReturnType<typeof startFakeVendors>>;
    let h: Harness;
    beforeAll(async () => {
      const referral = (await loadScenarios()).find((s) => s.name === 'referral-program')!;
      vendors = await startFakeVendors(referral);
      const modelSettings = { prices: TEST_PRICES, budgets: { requestUsd: 0.03, projectMonthlyUsd: 100 } };
      h = await startRequestHarness([], { maxParallelTasks: 1 }, { deps: { llm: vendors.llm, modelSettings } });
    });
    afterAll(async () => {
      await h?.stop();
      await vendors?.close();
    });

    it('budget pause in a task, raised: the task resumes', { timeout: PATH_TIMEOUT_MS }, async () => {
      const { conversationId, workflowId } = await toPlanCard(h, await h.createProject(), 'Add a referral program');
      await post(h, conversationId, 'confirm', { planVersion: 1 });
      await h.waitFor(conversationId, 'the budget pause', (c) => c.phase === 'executing' && Boolean((c as { budgetPause?: unknown }).budgetPause));
      expect((await post(h, conversationId, 'budget', { amountUsd: 1 })).status).toBe(202);
      expect(await ended(h, conversationId)).toMatchObject({ status: 'completed', outcome: 'tasked' });
      expect((await record(h, 'budget-in-task', workflowId)).some((file) => file.endsWith('-r1.json'))).toBe(true);
    });
  });
});
