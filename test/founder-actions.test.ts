/**
 * The founder's actions answered with the workflow's own verdict (Workflow Updates): what the API says is what
 * the request did. A revise and a confirm sent at the same moment for the same plan card, a hundred times; a
 * retried confirm (same Idempotency-Key) that is one action; a message once the work has begun, refused plainly
 * instead of dropped.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarioSchema } from '../llm/scenario.js';
import { bearer, TEST_ADMIN_TOKEN } from './helpers/api-auth.js';
import { startRequestHarness, type Conversation } from './helpers/request-harness.js';
import { oneTaskScenario, planReply } from './helpers/scenarios.js';

const ROUNDS = 100;
const LANES = 10;
/** Plan cards a racing conversation can show before the scripted Assist runs out of them. */
const PLANS = 12;

const racing = scenarioSchema.parse({
  ...oneTaskScenario('race', { delayMs: 30_000 }),
  assist: Array.from({ length: PLANS }, (_, i) => planReply(`Plan number ${i + 1}`)),
});

describe("founder actions get the workflow's verdict", () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let projectId: string;
  beforeAll(async () => {
    h = await startRequestHarness([racing, oneTaskScenario('actions', { delayMs: 30_000 })]);
    projectId = await h.createProject();
  });
  afterAll(() => h?.stop());

  const post = async (id: string, action: string, body?: unknown, key?: string) => {
    const headers = { ...bearer(TEST_ADMIN_TOKEN), ...(key ? { 'idempotency-key': key } : {}) };
    const res = await h.app.inject({ method: 'POST', url: `/api/conversations/${id}/${action}`, payload: body as object | undefined, headers });
    return { status: res.statusCode, body: res.json() as { accepted?: true; error?: { code: string; message: string } } };
  };
  const planOnTable = (id: string, version: number) =>
    h.waitFor(id, `plan ${version}`, (c) => c.phase === 'awaiting_confirmation' && c.plan?.version === version);
  /** Update events in the run's history, by name: what the workflow really took. */
  const acceptedUpdates = async (workflowId: string) => {
    const history = await h.temporal.client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).flatMap((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ?? []);
  };

  it(`a revise and a confirm sent at once: the API's answers match what the workflow did, ${ROUNDS} times`, { timeout: 300_000 }, async () => {
    const outcomes = { revised: 0, confirmed: 0 };
    let rounds = 0;
    const lane = async () => {
      while (rounds < ROUNDS) {
        const { conversationId, workflowId } = await h.startRequest(projectId, `race ${randomUUID()}`);
        for (let version = 1; version < PLANS && rounds < ROUNDS; version++) {
          await planOnTable(conversationId, version);
          rounds++;
          const revision = `round ${rounds}: smaller`;
          const [revise, confirm] = await Promise.all([
            post(conversationId, 'revise', { text: revision }),
            post(conversationId, 'confirm', { planVersion: version }),
          ]);
          const where = `round ${rounds}, plan ${version}: revise ${revise.status} ${JSON.stringify(revise.body)}, confirm ${confirm.status} ${JSON.stringify(confirm.body)}`;
          // Exactly one of the two is taken; the other is refused because the card was answered.
          expect([revise.status, confirm.status].sort(), where).toEqual([202, 409]);
          const refused = revise.status === 409 ? revise : confirm;
          expect(refused.body.error?.code, where).toBe('already_answered');

          if (confirm.status === 202) {
            // The work started on this plan, and the revise never reached Assist.
            const moved = await h.waitFor(conversationId, 'the work to start', (c) => c.phase !== 'awaiting_confirmation');
            expect(moved.plan?.version, where).toBe(version);
            expect(['planning', 'executing'], where).toContain(moved.phase);
            expect(founderTexts(moved), where).not.toContain(`Please revise the plan: ${revision}`);
            outcomes.confirmed++;
            expect((await post(conversationId, 'stop')).status, where).toBe(202);
            await h.waitFor(conversationId, 'the stop', (c) => c.status === 'stopped');
            break;
          }
          // The revise was taken: Assist shows the next card, and the confirm of the old one left no trace.
          const next = await planOnTable(conversationId, version + 1);
          expect(founderTexts(next), where).toContain(`Please revise the plan: ${revision}`);
          outcomes.revised++;
        }
        const names = await acceptedUpdates(workflowId);
        expect(names.filter((n) => n === 'confirmPlan').length).toBeLessThanOrEqual(1);
        const c = await h.conversation(conversationId);
        if (c.status === 'running') {
          await post(conversationId, 'decline');
          await h.waitFor(conversationId, 'the decline', (x) => x.status !== 'running');
        }
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    expect(outcomes.revised + outcomes.confirmed).toBeGreaterThanOrEqual(ROUNDS);
    // Both orders happen: a race that one side always wins would not test the validator.
    console.log(`founder action race: ${outcomes.revised} revised, ${outcomes.confirmed} confirmed`);
  });

  it('a confirm retried with the same Idempotency-Key is one action, answered the same', async () => {
    const { conversationId, workflowId } = await h.startRequest(projectId, 'actions retried');
    await planOnTable(conversationId, 1);
    const key = randomUUID();
    const [first, again] = await Promise.all([post(conversationId, 'confirm', { planVersion: 1 }, key), post(conversationId, 'confirm', { planVersion: 1 }, key)]);
    expect([first.status, again.status]).toEqual([202, 202]);
    expect((await post(conversationId, 'confirm', { planVersion: 1 }, key)).status).toBe(202);
    // Another key is another action: the card is answered already.
    expect((await post(conversationId, 'confirm', { planVersion: 1 }, randomUUID())).body.error?.code).toBe('already_answered');
    expect((await acceptedUpdates(workflowId)).filter((n) => n === 'confirmPlan')).toHaveLength(1);
    await h.waitFor(conversationId, 'the task', (c) => c.tasks.some((t) => t.status === 'running'));
    await post(conversationId, 'stop');
    await h.waitFor(conversationId, 'the stop', (c) => c.status === 'stopped');
  });

  it('a message is taken up while Assist waits, and refused plainly once the work has begun', async () => {
    const { conversationId } = await h.startRequest(projectId, 'actions with a message');
    await planOnTable(conversationId, 1);
    expect((await post(conversationId, 'message', { text: 'Make it blue' })).status).toBe(202);
    // Taken up: Assist answers it with a new card.
    const revised = await planOnTable(conversationId, 2);
    expect(founderTexts(revised)).toContain('Make it blue');

    expect((await post(conversationId, 'confirm', { planVersion: 1 })).body.error).toMatchObject({ code: 'stale_plan' });
    expect((await post(conversationId, 'confirm', { planVersion: 2 })).status).toBe(202);
    await h.waitFor(conversationId, 'the task', (c) => c.tasks.some((t) => t.status === 'running'));
    const late = await post(conversationId, 'message', { text: 'And green' });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'work_under_way', message: expect.stringMatching(/already under way/) });
    expect((await post(conversationId, 'revise', { text: 'smaller' })).body.error?.code).toBe('work_under_way');
    expect((await post(conversationId, 'budget', { amountUsd: 1 })).body.error?.code).toBe('not_paused_for_budget');
    const after = await h.conversation(conversationId);
    expect(founderTexts(after)).not.toContain('And green');

    expect((await post(conversationId, 'stop')).status).toBe(202);
    const stopped = await h.waitFor(conversationId, 'the stop', (c) => c.status === 'stopped');
    const finished = await post(conversationId, 'stop');
    expect(finished).toMatchObject({ status: 409, body: { error: { code: 'conversation_finished' } } });
    expect(stopped.outcome).toBeNull();
  });
});

const founderTexts = (c: Conversation) => c.messages.filter((m) => m.role === 'founder').map((m) => m.content);
