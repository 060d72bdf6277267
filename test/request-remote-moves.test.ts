import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGit } from '../runtime/git/run-git.js';
import { startRequestHarness } from './helpers/request-harness.js';
import { oneTaskScenario } from './helpers/scenarios.js';
import { removeStateFolder } from '../runtime/workspace/project-disk.js';

describe('the remote branch moves while a request works', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let projectId: string;
  beforeAll(async () => {
    h = await startRequestHarness([oneTaskScenario('moving', { file: 'notes/moving.md', delayMs: 2_000 }), oneTaskScenario('broken', { file: 'notes/broken.md', delayMs: 2_000 })]);
    projectId = await h.createProject();
  });
  afterAll(() => h?.stop());

  /** Someone else pushes a commit to main, from their own clone. */
  const pushElsewhere = async (file: string, content: string) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-other-'));
    await runGit(dir, ['clone', '--quiet', h.remote.bareDir, '.']);
    await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await fs.writeFile(path.join(dir, file), content);
    await runGit(dir, ['add', '-A']);
    await runGit(dir, ['commit', '--quiet', '-m', `Outside change: ${file}`]);
    await runGit(dir, ['push', '--quiet', 'origin', 'HEAD:main']);
    await removeStateFolder(dir);
  };

  const run = (text: string, meanwhile: () => Promise<void>) =>
    h.runConfirmed(projectId, text, async (conversationId) => {
      await h.waitFor(conversationId, 'the task to run', (c) => c.tasks.some((t) => t.status === 'running'));
      await meanwhile();
    });

  it('lands on top of the new commit after running the checks again', async () => {
    const { conversationId, done } = await run('moving target', () => pushElsewhere('docs/outside.md', '# from outside\n'));
    expect(done).toMatchObject({ status: 'completed', outcome: 'tasked' });
    const log = (await runGit(h.remote.bareDir, ['log', '--format=%s', 'main'])).stdout.split('\n');
    expect(log[1]).toBe('Outside change: docs/outside.md');
    const files = (await runGit(h.remote.bareDir, ['ls-tree', '-r', '--name-only', 'main'])).stdout;
    expect(files).toContain('docs/outside.md');
    expect(files).toContain('notes/moving.md');
    const rechecks = (await h.events(conversationId)).filter((e) => e.kind === 'check.result' && e.payload.stage === 'after-rebase');
    expect(rechecks.map((e) => [e.payload.name, e.payload.ok])).toEqual([['test', true]]);
  });

  it('pushes nothing when the new commit makes the checks fail', async () => {
    const failing = "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\ntest('outside', () => assert.fail('broken upstream'));\n";
    const { done } = await run('broken upstream', () => pushElsewhere('test/outside.test.js', failing));
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/After bringing in changes pushed meanwhile, the test check failed/);
    const head = (await runGit(h.remote.bareDir, ['log', '-1', '--format=%s', 'main'])).stdout;
    expect(head).toBe('Outside change: test/outside.test.js');
  });
});
