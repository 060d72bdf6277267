import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { changedFiles } from './changed-files.js';
import { prepareWorkingCopy } from './prepare-working-copy.js';
import { readFileAtHead } from './read-tree.js';
import { runGit } from './run-git.js';
import { makeRemote, pushFromElsewhere, TempDirs, writeFiles } from './test-repos.js';

const temp = new TempDirs();
afterEach(() => temp.removeAll());

async function setup() {
  const remote = await makeRemote(temp, { 'README.md': 'v1\n' });
  const dir = path.join(await temp.make(), 'workspaces', 'acme');
  return { remote, dir };
}

describe('prepareWorkingCopy', () => {
  it('clones a missing folder and reports the remote head', async () => {
    const { remote, dir } = await setup();
    const result = await prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir });
    expect(result).toEqual({ head: (await runGit(remote, ['rev-parse', 'main'])).stdout, cloned: true });
    expect(await readFileAtHead(dir, 'README.md')).toBe('v1\n');
  });

  it('keeps an interrupted agent’s changes on a retry that is not fresh, fast-forwarding around them', async () => {
    const { remote, dir } = await setup();
    await prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir });
    await writeFiles(dir, { 'README.md': 'half-written\n', 'src/new.js': 'wip\n' });
    const theirs = await pushFromElsewhere(temp, remote, { 'other.txt': 'x\n' });

    expect(await prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir })).toEqual({ head: theirs, cloned: false });
    expect(await changedFiles(dir)).toEqual(['README.md', 'src/new.js']);
    expect(await fs.readFile(path.join(dir, 'README.md'), 'utf8')).toBe('half-written\n');
    expect(await fs.readFile(path.join(dir, 'other.txt'), 'utf8')).toBe('x\n');
  });

  it('stays put rather than fast-forward over a file with local changes', async () => {
    const { remote, dir } = await setup();
    const { head } = await prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir });
    await writeFiles(dir, { 'README.md': 'half-written\n' });
    await pushFromElsewhere(temp, remote, { 'README.md': 'theirs\n' });

    expect(await prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir })).toEqual({ head, cloned: false });
    expect(await fs.readFile(path.join(dir, 'README.md'), 'utf8')).toBe('half-written\n');
  });

  it('with fresh, matches the remote branch exactly: local commits, edits and ignored files go', async () => {
    const { remote, dir } = await setup();
    await prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir });
    await writeFiles(dir, { '.gitignore': 'build/\n', 'build/out.js': 'x', 'README.md': 'edited\n' });
    await runGit(dir, ['commit', '-qam', 'local only']);
    await writeFiles(dir, { 'scratch.txt': 'x' });
    const theirs = await pushFromElsewhere(temp, remote, { 'other.txt': 'x\n' });

    expect(await prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir, fresh: true })).toEqual({ head: theirs, cloned: false });
    expect(await changedFiles(dir)).toEqual([]);
    await expect(fs.access(path.join(dir, 'build'))).rejects.toThrow();
    expect(await readFileAtHead(dir, 'README.md')).toBe('v1\n');
  });

  it('replaces a clone a crash left without a valid HEAD, and clears leftover temporary clones', async () => {
    const { remote, dir } = await setup();
    await fs.mkdir(path.join(dir, '.git'), { recursive: true });
    await fs.writeFile(path.join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await fs.writeFile(path.join(dir, 'partial.txt'), 'x');
    const leftover = `${dir}.cloning-deadbeef`;
    await writeFiles(leftover, { 'junk.txt': 'x' });

    const result = await prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir });
    expect(result.cloned).toBe(true);
    expect(await changedFiles(dir)).toEqual([]);
    await expect(fs.access(leftover)).rejects.toThrow();
    expect(await fs.readdir(path.dirname(dir))).toEqual(['acme']);
  });

  it('abandons a rebase a crash interrupted, keeping the local commit, so the retry starts from a usable copy', async () => {
    const { remote, dir } = await setup();
    const { head } = await prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir });
    await writeFiles(dir, { 'README.md': 'ours\n' });
    await runGit(dir, ['commit', '-qam', 'ours']);
    await pushFromElsewhere(temp, remote, { 'README.md': 'theirs\n' });
    await runGit(dir, ['fetch', '-q', 'origin']);
    await runGit(dir, ['rebase', 'origin/main'], { allowExitCodes: [1] });

    const result = await prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir });
    expect(result.head).not.toBe(head);
    expect(await changedFiles(dir)).toEqual([]);
    expect(await readFileAtHead(dir, 'README.md')).toBe('ours\n');
  });

  it('refuses to replace a folder that is not a working copy', async () => {
    const { remote, dir } = await setup();
    await writeFiles(dir, { 'precious.txt': 'keep me' });
    await expect(prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir })).rejects.toThrow(/not a git working copy/);
    expect(await fs.readFile(path.join(dir, 'precious.txt'), 'utf8')).toBe('keep me');
  });
});
