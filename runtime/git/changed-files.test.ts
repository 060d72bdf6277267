import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { changedFiles, parsePorcelainZ } from './changed-files.js';
import { prepareWorkingCopy } from './prepare-working-copy.js';
import { runGit } from './run-git.js';
import { makeRemote, TempDirs, writeFiles } from './test-repos.js';

const temp = new TempDirs();
afterEach(() => temp.removeAll());

describe('parsePorcelainZ', () => {
  it('reads plain entries, paths with spaces, and both sides of a rename', () => {
    const output = ' M src/app.js\0?? notes/my file.txt\0R  new name.js\0old name.js\0D  gone.txt\0';
    expect(parsePorcelainZ(output)).toEqual(['gone.txt', 'new name.js', 'notes/my file.txt', 'old name.js', 'src/app.js']);
  });

  it('returns nothing for a clean tree', () => {
    expect(parsePorcelainZ('')).toEqual([]);
  });
});

describe('changedFiles', () => {
  it('lists modified, deleted, staged and untracked files, including names with spaces', async () => {
    const remote = await makeRemote(temp, { 'README.md': 'hi\n', 'old.txt': 'old\n', 'keep.txt': 'keep\n' });
    const dir = path.join(await temp.make(), 'wc');
    await prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir });
    expect(await changedFiles(dir)).toEqual([]);

    await writeFiles(dir, { 'README.md': 'changed\n', 'docs/a new file.md': 'x\n', 'staged.txt': 's\n' });
    await fs.rm(path.join(dir, 'old.txt'));
    await runGit(dir, ['add', 'staged.txt']);

    expect(await changedFiles(dir)).toEqual(['README.md', 'docs/a new file.md', 'old.txt', 'staged.txt']);
  });

  it('does not count ignored files', async () => {
    const remote = await makeRemote(temp, { '.gitignore': 'node_modules/\n' });
    const dir = path.join(await temp.make(), 'wc');
    await prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir });
    await writeFiles(dir, { 'node_modules/x/index.js': '' });
    expect(await changedFiles(dir)).toEqual([]);
  });
});
