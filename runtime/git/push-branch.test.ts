import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { changedFiles } from './changed-files.js';
import { commitAll } from './commit-all.js';
import { prepareWorkingCopy } from './prepare-working-copy.js';
import { pushBranch } from './push-branch.js';
import { PushRejectedError } from './push-rejected-error.js';
import { listFilesAtRef, readFileAtRef } from './read-tree.js';
import { runGit } from './run-git.js';
import { commitCount, makeRemote, pushFromElsewhere, TempDirs, writeFiles } from './test-repos.js';

const temp = new TempDirs();
afterEach(() => temp.removeAll());

async function cloneWithCommit(files: Record<string, string>, seed?: Record<string, string>) {
  const remote = await makeRemote(temp, seed);
  const dir = path.join(await temp.make(), 'wc');
  await prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir });
  await writeFiles(dir, files);
  const { commit } = await commitAll({ dir, message: 'Agent change', requestId: 'req-push' });
  return { remote, dir, commit };
}

describe('pushBranch', () => {
  it('clone, change, commit, push: the remote holds the change; a second push sends nothing', async () => {
    const { remote, dir, commit } = await cloneWithCommit({ 'src/referral.js': 'export const x = 1;\n' });

    expect(await pushBranch({ dir, branch: 'main' })).toEqual({ pushed: true, commit, rebased: false });
    expect(await listFilesAtRef(remote, 'main')).toEqual(['README.md', 'src/referral.js']);
    expect(await readFileAtRef(remote, 'main', 'src/referral.js')).toBe('export const x = 1;\n');

    expect(await pushBranch({ dir, branch: 'main' })).toEqual({ pushed: false, commit, rebased: false });
    expect(await commitCount(remote, 'main')).toBe(2);
  });

  it('treats a remote branch that already contains the commit as done', async () => {
    const { remote, dir, commit } = await cloneWithCommit({ 'a.txt': 'a\n' });
    await pushBranch({ dir, branch: 'main' });
    await pushFromElsewhere(temp, remote, { 'b.txt': 'b\n' });
    expect(await pushBranch({ dir, branch: 'main' })).toEqual({ pushed: false, commit, rebased: false });
  });

  it('treats pushes racing each other as a branch that moved, never as a refusal', async () => {
    const remote = await makeRemote(temp);
    const clones = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const dir = path.join(await temp.make(), 'wc');
        await prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir });
        await writeFiles(dir, { [`notes/${i}.md`]: `${i}\n` });
        await commitAll({ dir, message: `Change ${i}`, requestId: `req-race-${i}` });
        return dir;
      }),
    );
    // As the activity does: a retryable refusal (the branch moved again) is simply tried again.
    const pushUntilDone = async (dir: string) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await pushBranch({ dir, branch: 'main' });
        } catch (err) {
          if (!(err instanceof PushRejectedError) || !err.retryable || attempt >= 20) throw err;
        }
      }
    };
    await Promise.all(clones.map(pushUntilDone));
    expect(await commitCount(remote, 'main')).toBe(9);
    expect((await listFilesAtRef(remote, 'main')).filter((f) => f.startsWith('notes/'))).toHaveLength(8);
  });

  it('creates a branch the remote does not have yet', async () => {
    const { remote, dir, commit } = await cloneWithCommit({ 'a.txt': 'a\n' });
    expect(await pushBranch({ dir, branch: 'vibn/req-push' })).toMatchObject({ pushed: true, commit });
    expect((await runGit(remote, ['rev-parse', 'vibn/req-push'])).stdout).toBe(commit);
  });

  it('rebases onto a non-conflicting change someone else pushed, then pushes', async () => {
    const { remote, dir, commit } = await cloneWithCommit({ 'src/referral.js': 'ours\n' });
    const theirs = await pushFromElsewhere(temp, remote, { 'docs/theirs.md': 'theirs\n' });

    const result = await pushBranch({ dir, branch: 'main' });
    expect(result).toMatchObject({ pushed: true, rebased: true });
    expect(result.commit).not.toBe(commit);
    expect((await runGit(remote, ['rev-parse', 'main^'])).stdout).toBe(theirs);
    expect(await listFilesAtRef(remote, 'main')).toEqual(['README.md', 'docs/theirs.md', 'src/referral.js']);
    // The local branch moved with the rebase, so a retry is a no-op.
    expect(await pushBranch({ dir, branch: 'main' })).toEqual({ pushed: false, commit: result.commit, rebased: false });
  });

  it('throws PushRejectedError on a conflicting change and leaves the working copy clean', async () => {
    const { remote, dir, commit } = await cloneWithCommit({ 'README.md': 'our headline\n' });
    const theirs = await pushFromElsewhere(temp, remote, { 'README.md': 'their headline\n' });

    const error = await pushBranch({ dir, branch: 'main' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PushRejectedError);
    expect(error).toMatchObject({ name: 'PushRejectedError', reason: 'conflict', conflictingFiles: ['README.md'], retryable: false, commit });

    expect(await changedFiles(dir)).toEqual([]);
    expect((await runGit(dir, ['rev-parse', 'HEAD'])).stdout).toBe(commit);
    expect((await runGit(remote, ['rev-parse', 'main'])).stdout).toBe(theirs);
  });

  it('throws a retryable PushRejectedError when the remote refuses the update (the refusal may pass)', async () => {
    const { remote, dir } = await cloneWithCommit({ 'a.txt': 'a\n' });
    await fs.writeFile(path.join(remote, 'hooks', 'pre-receive'), '#!/bin/sh\necho protected branch >&2\nexit 1\n', { mode: 0o755 });
    await expect(pushBranch({ dir, branch: 'main' })).rejects.toMatchObject({ name: 'PushRejectedError', reason: 'remote-rejected', retryable: true });
  });
});
