import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MISSING_FOR_FOUNDER } from '../core/sandbox-missing.js';
import { loadScenarios } from '../llm/scenario.js';
import { runGit } from '../runtime/git/run-git.js';
import { sandboxFor } from '../runtime/workspace/sandbox-context.js';
import { startRequestHarness } from './helpers/request-harness.js';

describe('a worker that cannot sandbox commands', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  beforeAll(async () => {
    h = await startRequestHarness(await loadScenarios(), {}, {
      deps: {
        // As on a machine without bubblewrap: the worker's bwrap is not there.
        toolContext: (workdir, project) => {
          const sandbox = sandboxFor(workdir, false, project);
          return { sandbox: sandbox === 'unsandboxed' ? sandbox : { ...sandbox, bwrapPath: '/nonexistent/bwrap' } };
        },
      },
    });
  });
  afterAll(() => h?.stop());

  it('ends a confirmed code request at once with one plain sentence, before any task, commit or deploy', async () => {
    const projectId = await h.createProject();
    const { conversationId } = await h.startRequest(projectId, 'Add a referral program');
    await h.waitFor(conversationId, 'the plan card', (c) => c.phase === 'awaiting_confirmation');
    expect((await h.call('POST', `/api/conversations/${conversationId}/confirm`, { planVersion: 1 })).status).toBe(202);
    const done = await h.waitFor(conversationId, 'the request to end', (c) => c.status !== 'running');

    expect(done).toMatchObject({ status: 'failed', phase: 'done', error: SANDBOX_MISSING_FOR_FOUNDER, tasks: [] });
    const events = await h.events(conversationId);
    expect(events.some((e) => e.kind.startsWith('agent.'))).toBe(false);
    const commits = (await runGit(h.remote.bareDir, ['rev-list', '--count', 'main'])).stdout.trim();
    expect(commits).toBe('1');
  });
});
