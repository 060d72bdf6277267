/**
 * The founder's actions answered with the workflow's own verdict (Workflow Updates): what the API says is what
 * the request did. A revise and a confirm sent at the same moment for the same plan card, a hundred times; a
 * retried confirm (same Idempotency-Key) that is one action; a message once the work has begun, refused plainly
 * instead of dropped.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getConversationView } from '../db/queries/conversation-views.js';
import { scenarioSchema } from '../llm/scenario.js';
import { bearer, TEST_ADMIN_TOKEN } from './helpers/api-auth.js';
import { eventually } from './helpers/poll.js';
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

/** Assist takes its time and answers without a plan, twice. */
const musing = scenarioSchema.parse({
  ...oneTaskScenario('musing'),
  assist: [
    { kind: 'answer', text: 'Signups are up 12% this week.' },
    { kind: 'answer', text: 'Most of them came from the newsletter.' },
  ],
  assistDelayMs: 2_000,
});

describe("founder actions get the workflow's verdict", () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let projectId: string;
  beforeAll(async () => {
    h = await startRequestHarness([racing, musing, oneTaskScenario('actions', { delayMs: 30_000, assist: [planReply('Write it'), planReply('Write it in blue')] })]);
    projectId = await h.createProject();
  });
  afterAll(() => h?.stop());

  const post = async (id: string, action: string, body?: unknown, key?: string, token = TEST_ADMIN_TOKEN) => {
    const headers = { ...bearer(token), ...(key ? { 'idempotency-key': key } : {}) };
    const res = await h.app.inject({ method: 'POST', url: `/api/conversations/${id}/${action}`, payload: body as object | undefined, headers });
    return { status: res.statusCode, body: res.json() as { accepted?: true; error?: { code: string; message: string } } };
  };
  /**
   * Polls the conversation as the API shows it, read straight from Postgres: ten lanes polling through the API
   * would run into its rate limit, which is not what this test is about.
   */
  const waitView = (id: string, what: string, done: (c: Conversation) => boolean) =>
    eventually(what, async () => {
      const c = (await getConversationView(h.database.db, id)) as unknown as Conversation;
      return c && done(c) ? c : undefined;
    }, 90_000);
  const planOnTable = (id: string, version: number) =>
    waitView(id, `plan ${version}`, (c) => c.phase === 'awaiting_confirmation' && c.plan?.version === version);
  /** Update events in the run's history, by name: what the workflow really took. */
  const acceptedUpdates = async (workflowId: string) => {
    const history = await h.temporal.client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).flatMap((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ?? []);
  };

  it(`a revise and a confirm sent at once: the API's answers match what the workflow did, ${ROUNDS} times`, { timeout: 300_000 }, async () => {
    const outcomes = { revised: 0, confirmed: 0 };
    let rounds = 0;
    // Each lane is its own founder, with its own project and token (the API's rate limit is per token).
    const lane = async (n: number) => {
      const own = await h.createProject(`race ${n}`);
      const token = (await h.call('POST', `/api/projects/${own}/tokens`)).body.token as string;
      const act = (id: string, action: string, body?: unknown) => post(id, action, body, undefined, token);
      while (rounds < ROUNDS) {
        const started = await h.call('POST', `/api/projects/${own}/requests`, { text: `race ${randomUUID()}` }, token);
        expect(started.status).toBe(202);
        const { conversationId, workflowId } = started.body as { conversationId: string; workflowId: string };
        for (let version = 1; version < PLANS && rounds < ROUNDS; version++) {
          await planOnTable(conversationId, version);
          rounds++;
          const revision = `round ${rounds}: smaller`;
          const [revise, confirm] = await Promise.all([
            act(conversationId, 'revise', { text: revision }),
            act(conversationId, 'confirm', { planVersion: version }),
          ]);
          const where = `round ${rounds}, plan ${version}: revise ${revise.status} ${JSON.stringify(revise.body)}, confirm ${confirm.status} ${JSON.stringify(confirm.body)}`;
          // Exactly one of the two is taken; the other is refused because the card was answered: while the
          // answer waits in the queue, or once the workflow has moved on with it.
          expect([revise.status, confirm.status].sort(), where).toEqual([202, 409]);
          const refused = revise.status === 409 ? revise : confirm;
          expect(refused.body.error?.code, where).toBeOneOf(confirm.status === 202 ? ['already_answered', 'work_under_way'] : ['already_answered', 'still_thinking']);

          if (confirm.status === 202) {
            // The work started on this plan, and the revise never reached Assist.
            const moved = await waitView(conversationId, 'the work to start', (c) => c.phase !== 'awaiting_confirmation');
            expect(moved.plan?.version, where).toBe(version);
            expect(['planning', 'executing'], where).toContain(moved.phase);
            expect(founderTexts(moved), where).not.toContain(`Please revise the plan: ${revision}`);
            outcomes.confirmed++;
            expect((await act(conversationId, 'stop')).status, where).toBe(202);
            await waitView(conversationId, 'the stop', (c) => c.status === 'stopped');
            break;
          }
          // The revise was taken: Assist shows the next card, and the confirm of the old one left no trace.
          const next = await planOnTable(conversationId, version + 1);
          expect(founderTexts(next), where).toContain(`Please revise the plan: ${revision}`);
          outcomes.revised++;
        }
        const names = await acceptedUpdates(workflowId);
        expect(names.filter((n) => n === 'confirmPlan').length).toBeLessThanOrEqual(1);
        // A lane that ends on a revise declines the card Assist shows next (not before: it would be too early).
        const last = await waitView(conversationId, 'the last card or the end', (x) => x.status !== 'running' || x.phase === 'awaiting_confirmation');
        if (last.status === 'running') {
          expect((await act(conversationId, 'decline')).status).toBe(202);
          await waitView(conversationId, 'the decline', (x) => x.status !== 'running');
        }
      }
    };
    await Promise.all(Array.from({ length: LANES }, (_, n) => lane(n)));
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
    expect((await post(conversationId, 'confirm', { planVersion: 1 }, randomUUID())).body.error?.code).toBeOneOf(['already_answered', 'work_under_way']);
    expect((await acceptedUpdates(workflowId)).filter((n) => n === 'confirmPlan')).toHaveLength(1);
    await waitView(conversationId, 'the task', (c) => c.tasks.some((t) => t.status === 'running'));
    await post(conversationId, 'stop');
    await waitView(conversationId, 'the stop', (c) => c.status === 'stopped');
  });

  it('a message sent while Assist is still thinking is taken up after its answer, not dropped with it', async () => {
    const { conversationId } = await h.startRequest(projectId, 'musing about signups');
    await waitView(conversationId, 'Assist at work', (c) => c.phase === 'assisting');
    expect((await post(conversationId, 'confirm', { planVersion: 1 })).body.error?.code).toBe('still_thinking');
    expect((await post(conversationId, 'message', { text: 'Where did they come from?' })).status).toBe(202);
    const done = await waitView(conversationId, 'the second answer', (c) => c.status !== 'running');
    expect(done.status).toBe('completed');
    expect(done.messages.map((m) => [m.role, m.content])).toEqual([
      ['founder', 'musing about signups'],
      ['assist', 'Signups are up 12% this week.'],
      ['founder', 'Where did they come from?'],
      ['assist', 'Most of them came from the newsletter.'],
    ]);
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
    await waitView(conversationId, 'the task', (c) => c.tasks.some((t) => t.status === 'running'));
    const late = await post(conversationId, 'message', { text: 'And green' });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'work_under_way', message: expect.stringMatching(/already under way/) });
    expect((await post(conversationId, 'revise', { text: 'smaller' })).body.error?.code).toBe('work_under_way');
    expect((await post(conversationId, 'budget', { amountUsd: 1 })).body.error?.code).toBe('not_paused_for_budget');
    const after = (await getConversationView(h.database.db, conversationId)) as unknown as Conversation;
    expect(founderTexts(after)).not.toContain('And green');

    expect((await post(conversationId, 'stop')).status).toBe(202);
    const stopped = await waitView(conversationId, 'the stop', (c) => c.status === 'stopped');
    const finished = await post(conversationId, 'stop');
    expect(finished).toMatchObject({ status: 409, body: { error: { code: 'conversation_finished' } } });
    expect(stopped.outcome).toBeNull();
  });
});

const founderTexts = (c: Conversation) => c.messages.filter((m) => m.role === 'founder').map((m) => m.content);
