/**
 * Stop at every point of a request. Before the commit starts, a stop ends the request with nothing shipped;
 * once it starts, commit → push → deploy → record run to the end, the stop is answered plainly ("it is already
 * going live"), and the request finishes: never a commit on the default branch with its deploy killed.
 */
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestWorkdir } from '../activities/workspace.js';
import { DEMO_DEPLOY_COMMAND } from '../demo/demo-project.js';
import { scenarioSchema } from '../llm/scenario.js';
import { runGit } from '../runtime/git/run-git.js';
import { SESSION_STATUS } from '../core/search-attributes.js';
import { stopSignal } from '../workflows/request-contract.js';
import { eventually } from './helpers/poll.js';
import { startRequestHarness, type Conversation } from './helpers/request-harness.js';
import { oneTaskScenario } from './helpers/scenarios.js';

const slowAssist = scenarioSchema.parse({ ...oneTaskScenario('thinking'), assistDelayMs: 20_000 });
const slowAdvisor = scenarioSchema.parse({
  ...oneTaskScenario('scoping'),
  advisorTools: { code: [{ tool: 'list_files', input: {}, delayMs: 20_000 }] },
});
/** The deploy takes a few seconds: long enough to be stopped in the middle of, if that were allowed. */
const SLOW_DEPLOY = `sleep 4 && ${DEMO_DEPLOY_COMMAND}`;

describe('stop, at every point of a request', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let projectId: string;
  beforeAll(async () => {
    h = await startRequestHarness([slowAssist, slowAdvisor, oneTaskScenario('waiting'), oneTaskScenario('working', { delayMs: 20_000 }), oneTaskScenario('shipping'), oneTaskScenario('shipped')]);
    projectId = await h.createProject('stops', { kind: 'command', command: SLOW_DEPLOY });
  });
  afterAll(() => h?.stop());

  const post = (id: string, action: string, body?: unknown) => h.call('POST', `/api/conversations/${id}/${action}`, body);
  const remoteCommits = async () => Number((await runGit(h.remote.bareDir, ['rev-list', '--count', 'main'])).stdout.trim());

  /** Stops at the moment `reached` holds; the request then ends stopped, with nothing shipped and no working copy. */
  async function stopsCleanly(text: string, reached: (c: Conversation) => boolean, confirm: boolean) {
    const before = await remoteCommits();
    const { conversationId } = await h.startRequest(projectId, text);
    if (confirm) {
      await h.waitFor(conversationId, 'the plan card', (c) => c.phase === 'awaiting_confirmation');
      expect((await post(conversationId, 'confirm', { planVersion: 1 })).status).toBe(202);
    }
    await h.waitFor(conversationId, 'the point to stop at', reached);
    expect((await post(conversationId, 'stop')).status).toBe(202);
    const done = await h.waitFor(conversationId, 'the stop', (c) => c.status !== 'running');
    expect(done).toMatchObject({ status: 'stopped', phase: 'done' });
    expect(await remoteCommits()).toBe(before);
    expect((await h.events(conversationId)).some((e) => e.kind === 'deploy')).toBe(false);
    await expect(fs.access(requestWorkdir(h.deps.home, projectId, conversationId))).rejects.toThrow();
    return done;
  }

  it('while Assist is still thinking', async () => {
    const done = await stopsCleanly('thinking about it', (c) => c.phase === 'assisting', false);
    expect(done.plan).toBeNull();
  });

  it('with the plan card on the table', async () => {
    const done = await stopsCleanly('waiting for a yes', (c) => c.phase === 'awaiting_confirmation', false);
    expect(done.tasks).toEqual([]);
  });

  it('while the advisors scope the plan', async () => {
    const done = await stopsCleanly('scoping the plan', (c) => c.phase === 'planning', true);
    expect(done.tasks).toEqual([]);
  });

  it('while a task runs', async () => {
    const done = await stopsCleanly('working on it', (c) => c.tasks.some((t) => t.status === 'running'), true);
    expect(done.tasks).toEqual([expect.objectContaining({ status: 'stopped' })]);
  });

  it('once it is going live: the stop is refused plainly and the work ships whole', async () => {
    const before = await remoteCommits();
    const { conversationId, workflowId } = await h.startRequest(projectId, 'shipping now');
    await h.waitFor(conversationId, 'the plan card', (c) => c.phase === 'awaiting_confirmation');
    await post(conversationId, 'confirm', { planVersion: 1 });
    await h.waitFor(conversationId, 'the integration', (c) => c.phase === 'integrating', 120_000);
    const refused = await post(conversationId, 'stop');
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'already_going_live', message: expect.stringMatching(/already going live/) } } });
    // Straight to Temporal, as the Web UI could: the signal cannot half-ship the work either.
    await h.temporal.client.workflow.getHandle(workflowId).signal(stopSignal);
    const done = await h.waitFor(conversationId, 'the end', (c) => c.status !== 'running', 120_000);
    expect(done).toMatchObject({ status: 'completed', outcome: 'tasked' });
    expect(await remoteCommits()).toBe(before + 1);
    const deploys = (await h.events(conversationId)).filter((e) => e.kind === 'deploy');
    expect(deploys.at(-1)?.payload).toMatchObject({ status: 'succeeded' });
  });

  it("lists a project's tasks beside its requests in the Web UI, by ProjectId, named after their request", async () => {
    const { conversationId, workflowId } = await h.startRequest(projectId, 'shipped for the list');
    await h.waitFor(conversationId, 'the plan card', (c) => c.phase === 'awaiting_confirmation');
    await post(conversationId, 'confirm', { planVersion: 1 });
    await h.waitFor(conversationId, 'the end', (c) => c.status !== 'running', 120_000);
    // What the README tells the operator to type into the Web UI's search.
    const query = `ProjectId = "${projectId}" AND WorkflowId STARTS_WITH "${workflowId}"`;
    const runs = await eventually('the runs in the visibility store', async () => {
      const found = [];
      for await (const run of h.temporal.client.workflow.list({ query })) found.push(run);
      return found.length === 2 && found.every((r) => r.status.name === 'COMPLETED') ? found : undefined;
    });
    const byType = Object.fromEntries(runs.map((r) => [r.type, r]));
    expect(byType.taskWorkflow?.workflowId).toBe(`${workflowId}-task-write-1`);
    expect(byType.taskWorkflow?.typedSearchAttributes.get(SESSION_STATUS)).toBe('done');
    expect(byType.requestWorkflow?.typedSearchAttributes.get(SESSION_STATUS)).toBe('completed');
  });

  it('after the end: refused as finished', async () => {
    const { conversationId } = await h.startRequest(projectId, 'shipped already');
    await h.waitFor(conversationId, 'the plan card', (c) => c.phase === 'awaiting_confirmation');
    await post(conversationId, 'confirm', { planVersion: 1 });
    await h.waitFor(conversationId, 'the end', (c) => c.status !== 'running', 120_000);
    expect(await post(conversationId, 'stop')).toMatchObject({ status: 409, body: { error: { code: 'conversation_finished' } } });
  });
});
