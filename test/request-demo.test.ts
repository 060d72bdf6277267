import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarios } from '../llm/scenario.js';
import { runGit } from '../runtime/git/run-git.js';
import { eventually } from './helpers/poll.js';
import { startRequestHarness } from './helpers/request-harness.js';

describe('the demo request, "Add a referral program", through the API', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  beforeAll(async () => {
    h = await startRequestHarness(await loadScenarios());
  });
  afterAll(() => h?.stop());

  it('goes from plan card to confirm to a pushed commit, one deploy and a follow-up', async () => {
    const projectId = await h.createProject();
    const { conversationId, workflowId } = await h.startRequest(projectId, 'Add a referral program');
    expect(workflowId).toBe(`request-${projectId}-${conversationId}`);

    const awaiting = await h.waitFor(conversationId, 'the plan card', (c) => c.phase === 'awaiting_confirmation');
    expect(awaiting.plan).toMatchObject({ version: 1, estimatedMinutes: 8 });
    expect(JSON.stringify(awaiting.plan)).not.toMatch(/tier|agent/i);

    expect((await h.call('POST', `/api/conversations/${conversationId}/confirm`, { planVersion: 1 })).status).toBe(202);
    const done = await h.waitFor(conversationId, 'the request to finish', (c) => c.status !== 'running', 120_000);

    expect(done).toMatchObject({ status: 'completed', phase: 'done', outcome: 'tasked', error: null });
    expect(done.tasks.map((t) => [t.id, t.status]).sort()).toEqual([
      ['invite-link', 'done'],
      ['referral-codes', 'done'],
      ['referral-page', 'done'],
      ['verify', 'done'],
    ]);
    expect(done.messages.at(-1)).toMatchObject({ role: 'assist', content: expect.stringMatching(/referral program is live/) });

    // The remote's default branch holds exactly one new commit with the work.
    const log = await runGit(h.remote.bareDir, ['log', '--format=%H%x09%an%x09%(trailers:key=VIBN-Request,valueonly)', 'main']);
    const commits = log.stdout.split('\n').filter(Boolean);
    expect(commits).toHaveLength(2);
    expect(commits[0]).toContain(`VIBN\t${conversationId}`);
    const files = (await runGit(h.remote.bareDir, ['ls-tree', '-r', '--name-only', 'main'])).stdout.split('\n');
    expect(files).toEqual(expect.arrayContaining(['src/referral.js', 'test/referral.test.js', 'public/referral.html']));
    const index = (await runGit(h.remote.bareDir, ['show', 'main:public/index.html'])).stdout;
    expect(index).toContain('<a href="referral.html">Invite a friend</a>');

    // Deployed once, and the deployed site is the new version.
    const sites = path.join(h.deps.home, 'sites', 'demo');
    const deployLog = (await fs.readFile(path.join(sites, 'deploys.log'), 'utf8')).trim().split('\n');
    expect(deployLog).toHaveLength(1);
    await expect(fs.readFile(path.join(sites, 'current', 'referral.html'), 'utf8')).resolves.toContain('Give a month, get a month');

    // Events: contiguous from 1, scripted output labelled as such, tests passed in the agent's run.
    const events = await h.events(conversationId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const assistMessages = events.filter((e) => e.kind === 'assistant.message');
    expect(assistMessages.length).toBeGreaterThanOrEqual(2);
    expect(assistMessages.every((e) => e.payload.scripted === true)).toBe(true);
    const testRun = events.find((e) => e.kind === 'agent.tool_result' && e.payload.name === 'execute_command');
    expect(testRun?.payload).toMatchObject({ isError: false, output: expect.stringMatching(/exit code: 0/) });
    expect(events.filter((e) => e.kind === 'deploy')).toHaveLength(1);

    // The console's Browse tab and conversation list read the same result.
    const head = (await runGit(h.remote.bareDir, ['rev-parse', 'main'])).stdout.trim();
    const tree = (await h.call('GET', `/api/projects/${projectId}/tree`)).body;
    expect(tree).toMatchObject({ branch: 'main', commit: head, truncated: false });
    expect(tree.files).toEqual(expect.arrayContaining([{ path: 'src/referral.js', size: expect.any(Number) }]));
    const file = (await h.call('GET', `/api/projects/${projectId}/tree/public/referral.html`)).body;
    expect(file).toMatchObject({ path: 'public/referral.html', truncated: false, content: expect.stringContaining('Give a month, get a month') });
    expect((await h.call('GET', `/api/projects/${projectId}/tree/nope.txt`)).status).toBe(404);
    expect((await h.call('GET', `/api/projects/${projectId}/tree/..%2Fetc%2Fpasswd`)).status).toBe(400);
    const list = (await h.call('GET', `/api/projects/${projectId}/conversations`)).body.conversations;
    expect(list).toEqual([expect.objectContaining({ id: conversationId, status: 'completed', outcome: 'tasked', requestText: 'Add a referral program' })]);
    expect(done.tasks.every((t) => typeof (t as { costUsd?: unknown }).costUsd === 'number')).toBe(true);

    // The Temporal Web UI can list the project's runs by status.
    const listed = await eventually('the run in visibility', async () => {
      const ids: string[] = [];
      for await (const run of h.temporal.client.workflow.list({ query: `ProjectId = "${projectId}" AND SessionStatus = "completed"` })) ids.push(run.workflowId);
      return ids.includes(workflowId) ? ids : undefined;
    });
    expect(listed).toEqual([workflowId]);
  });
});
