import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmSignal } from '../workflows/request-contract.js';
import { requestWorkdir } from '../activities/workspace.js';
import { runGit } from '../runtime/git/run-git.js';
import { eventually } from './helpers/poll.js';
import { startRequestHarness } from './helpers/request-harness.js';
import { oneTaskScenario, planReply } from './helpers/scenarios.js';

const scenarios = [
  oneTaskScenario('decline'),
  oneTaskScenario('revise', { assist: [planReply('Write the long version'), planReply('Write the short version')] }),
  oneTaskScenario('question', { assist: [{ kind: 'question', text: 'Who is this for?' }, planReply('Write it for founders')] }),
  oneTaskScenario('stale'),
  oneTaskScenario('answer', { assist: [{ kind: 'answer', text: 'Signups are up 12% this week.' }] }),
  oneTaskScenario('stop', { delayMs: 20_000 }),
];

describe('the founder and the plan card', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let projectId: string;
  beforeAll(async () => {
    h = await startRequestHarness(scenarios);
    projectId = await h.createProject();
  });
  afterAll(() => h?.stop());

  const remoteCommits = async () => (await runGit(h.remote.bareDir, ['rev-list', '--count', 'main'])).stdout.trim();
  const post = (id: string, action: string, body?: unknown) => h.call('POST', `/api/conversations/${id}/${action}`, body);

  it('answers a question without a plan and ends', async () => {
    const { conversationId } = await h.startRequest(projectId, 'answer: how are signups?');
    const done = await h.waitFor(conversationId, 'the answer', (c) => c.status !== 'running');
    expect(done).toMatchObject({ status: 'completed', outcome: null, plan: null, tasks: [] });
    expect(done.messages.at(-1)).toMatchObject({ role: 'assist', content: 'Signups are up 12% this week.' });
  });

  it('declines: nothing is built, outcome declined, further signals are refused', async () => {
    const { conversationId } = await h.startRequest(projectId, 'decline this');
    await h.waitFor(conversationId, 'the plan card', (c) => c.phase === 'awaiting_confirmation');
    expect((await post(conversationId, 'decline')).status).toBe(202);
    const done = await h.waitFor(conversationId, 'the decline', (c) => c.status !== 'running');
    expect(done).toMatchObject({ status: 'completed', outcome: 'declined', tasks: [] });
    expect(await remoteCommits()).toBe('1');
    expect((await post(conversationId, 'confirm', { planVersion: 1 })).status).toBe(409);
    expect((await post(conversationId, 'message', { text: 'wait' })).status).toBe(409);
  });

  it('revises, refuses the stale version, then builds the confirmed revision', async () => {
    const { conversationId } = await h.startRequest(projectId, 'revise something');
    const first = await h.waitFor(conversationId, 'plan 1', (c) => c.plan?.version === 1 && c.phase === 'awaiting_confirmation');
    expect(first.plan?.summary).toBe('Write the long version');
    expect((await post(conversationId, 'revise', { text: 'make it shorter' })).status).toBe(202);
    const second = await h.waitFor(conversationId, 'plan 2', (c) => c.plan?.version === 2 && c.phase === 'awaiting_confirmation');
    expect(second.plan?.summary).toBe('Write the short version');
    expect(second.messages.some((m) => m.role === 'founder' && m.content.includes('make it shorter'))).toBe(true);

    const stale = await post(conversationId, 'confirm', { planVersion: 1 });
    expect(stale).toMatchObject({ status: 409, body: { error: { code: 'stale_plan' } } });
    expect((await post(conversationId, 'confirm', { planVersion: 2 })).status).toBe(202);
    const done = await h.waitFor(conversationId, 'the work', (c) => c.status !== 'running');
    expect(done).toMatchObject({ status: 'completed', outcome: 'tasked' });
    expect(done.tasks).toEqual([expect.objectContaining({ id: 'write', status: 'done' })]);
  });

  it('asks a clarifying question, waits for the answer, then shows a plan', async () => {
    const { conversationId } = await h.startRequest(projectId, 'question about notes');
    await h.waitFor(conversationId, 'the question', (c) => c.messages.at(-1)?.content === 'Who is this for?');
    expect((await post(conversationId, 'confirm', { planVersion: 1 })).status).toBe(409);
    expect((await post(conversationId, 'message', { text: 'For founders' })).status).toBe(202);
    const planned = await h.waitFor(conversationId, 'the plan', (c) => c.phase === 'awaiting_confirmation');
    expect(planned.plan?.summary).toBe('Write it for founders');
    expect(planned.messages.map((m) => m.role)).toEqual(['founder', 'assist', 'founder', 'assist']);
    await post(conversationId, 'decline');
    await h.waitFor(conversationId, 'the end', (c) => c.status !== 'running');
  });

  it('the workflow itself refuses a confirm for a plan version that is not on the table, and records it', async () => {
    const { conversationId, workflowId } = await h.startRequest(projectId, 'stale confirm');
    await h.waitFor(conversationId, 'the plan card', (c) => c.phase === 'awaiting_confirmation');
    // Straight to Temporal, as the Web UI or another client could: no API check in front.
    await h.temporal.client.workflow.getHandle(workflowId).signal(confirmSignal, { planVersion: 7 });
    const refused = await (async () => {
      for (let i = 0; i < 100; i++) {
        const found = (await h.events(conversationId)).find((e) => e.kind === 'signal.refused');
        if (found) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    expect(refused?.payload).toMatchObject({ signal: 'confirm' });
    expect((await h.conversation(conversationId)).phase).toBe('awaiting_confirmation');
    await post(conversationId, 'decline');
    expect((await h.waitFor(conversationId, 'the end', (c) => c.status !== 'running')).outcome).toBe('declined');
  });

  it('stop in the middle of a task: the task is stopped, nothing is pushed, the working copy is gone', async () => {
    const before = await remoteCommits();
    const { conversationId } = await h.startRequest(projectId, 'stop midway');
    await h.waitFor(conversationId, 'the plan card', (c) => c.phase === 'awaiting_confirmation');
    await post(conversationId, 'confirm', { planVersion: 1 });
    await h.waitFor(conversationId, 'the task to run', (c) => c.tasks.some((t) => t.status === 'running'));
    expect((await post(conversationId, 'stop')).status).toBe(202);
    const done = await h.waitFor(conversationId, 'the stop', (c) => c.status !== 'running');
    expect(done).toMatchObject({ status: 'stopped' });
    expect(done.tasks).toEqual([expect.objectContaining({ id: 'write', status: 'stopped' })]);
    expect(await remoteCommits()).toBe(before);
    await expect(fs.access(requestWorkdir(h.deps.home, projectId, conversationId))).rejects.toThrow();
  });
});

describe('a plan card nobody answers', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  beforeAll(async () => {
    h = await startRequestHarness([oneTaskScenario('deferred')], { confirmTimeoutMs: 1_500 });
  });
  afterAll(() => h?.stop());

  it('is deferred after the configured time and the workflow ends cleanly', async () => {
    const projectId = await h.createProject();
    const { conversationId, workflowId } = await h.startRequest(projectId, 'deferred work');
    const done = await h.waitFor(conversationId, 'the deferral', (c) => c.status !== 'running', 30_000);
    expect(done).toMatchObject({ status: 'completed', outcome: 'deferred', tasks: [] });
    // The row is written just before the workflow returns: the run closes a moment later.
    const closed = await eventually('the run to close', async () => {
      const { status } = await h.temporal.client.workflow.getHandle(workflowId).describe();
      return status.name === 'RUNNING' ? undefined : status.name;
    });
    expect(closed).toBe('COMPLETED');
  });
});
