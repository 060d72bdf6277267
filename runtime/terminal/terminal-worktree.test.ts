import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareWorkingCopy } from '../git/prepare-working-copy.js';
import { resolveCommit } from '../git/refs.js';
import { runGit } from '../git/run-git.js';
import { makeRemote, pushFromElsewhere, TempDirs } from '../git/test-repos.js';
import { workspaceLayout } from '../workspace/layout.js';
import { ensureTerminalWorktree, hasTerminalWorktree, terminalDir } from './terminal-worktree.js';

describe("the terminal's worktree", () => {
  const temp = new TempDirs();
  afterEach(() => temp.removeAll());

  async function clone() {
    const remote = await makeRemote(temp, { 'README.md': 'hello\n', 'package.json': '{}\n' });
    const layout = workspaceLayout(await temp.make('home'), 'p1');
    await prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir: layout.repo });
    return { remote, layout };
  }

  it('is cut from origin/<default branch>, detached, beside the clone', async () => {
    const { layout } = await clone();
    expect(await hasTerminalWorktree(layout)).toBe(false);
    const dir = await ensureTerminalWorktree(layout, 'main');
    expect(dir).toBe(path.join(layout.root, 'terminals', 'main'));
    expect(await resolveCommit(dir, 'HEAD')).toBe(await resolveCommit(layout.repo, 'origin/main'));
    const branch = await runGit(dir, ['symbolic-ref', '--quiet', 'HEAD'], { allowExitCodes: [1] });
    expect(branch.exitCode).toBe(1);
    expect(await fs.readdir(dir)).toContain('package.json');
    // The clone itself stays on its branch, untouched.
    expect((await runGit(layout.repo, ['symbolic-ref', '--short', 'HEAD'])).stdout.trim()).toBe('main');
  });

  it("keeps the founder's changes when the terminal opens again, even after the remote moved", async () => {
    const { remote, layout } = await clone();
    const dir = await ensureTerminalWorktree(layout, 'main');
    const head = await resolveCommit(dir, 'HEAD');
    await fs.writeFile(path.join(dir, 'notes.txt'), 'mine\n');
    await pushFromElsewhere(temp, remote, { 'other.txt': 'x\n' });
    await prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir: layout.repo });
    expect(await ensureTerminalWorktree(layout, 'main')).toBe(dir);
    expect(await fs.readFile(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine\n');
    expect(await resolveCommit(dir, 'HEAD')).toBe(head);
  });

  it('replaces a folder a crash or a sweep left unusable', async () => {
    const { layout } = await clone();
    await fs.mkdir(terminalDir(layout), { recursive: true });
    await fs.writeFile(path.join(terminalDir(layout), 'half-made'), '');
    const dir = await ensureTerminalWorktree(layout, 'main');
    expect(await hasTerminalWorktree(layout)).toBe(true);
    expect(await fs.readdir(dir)).not.toContain('half-made');
  });
});
