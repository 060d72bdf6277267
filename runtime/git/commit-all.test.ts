import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitAll, messageWithTrailer, requestIdsAtHead } from './commit-all.js';
import { prepareWorkingCopy } from './prepare-working-copy.js';
import { runGit } from './run-git.js';
import { changedFiles } from './changed-files.js';
import { commitCount, makeRemote, TempDirs, writeFiles } from './test-repos.js';

const temp = new TempDirs();
afterEach(() => temp.removeAll());

async function workingCopy(): Promise<string> {
  const remote = await makeRemote(temp);
  const dir = path.join(await temp.make(), 'wc');
  await prepareWorkingCopy({ remoteUrl: remote, branch: 'main', dir });
  return dir;
}

describe('commitAll', () => {
  it('commits every change once, with the request trailer, as VIBN by default', async () => {
    const dir = await workingCopy();
    await writeFiles(dir, { 'src/referral.js': 'export {};\n' });

    const first = await commitAll({ dir, message: 'Add a referral program', requestId: 'req-1' });
    expect(first).toMatchObject({ created: true, empty: false });
    expect(await changedFiles(dir)).toEqual([]);
    expect(await requestIdsAtHead(dir)).toEqual(['req-1']);
    const { stdout } = await runGit(dir, ['log', '-1', '--format=%an <%ae>|%cn|%s']);
    expect(stdout).toBe('VIBN <vibn@localhost>|VIBN|Add a referral program');

    // A retry after a lost reply, even with more edits lying around, must not make a second commit.
    await writeFiles(dir, { 'later.txt': 'x\n' });
    const retry = await commitAll({ dir, message: 'Add a referral program', requestId: 'req-1' });
    expect(retry).toEqual({ commit: first.commit, created: false, empty: false });
    expect(await commitCount(dir)).toBe(2);
  });

  it('reports an empty commit attempt without making one', async () => {
    const dir = await workingCopy();
    const head = (await runGit(dir, ['rev-parse', 'HEAD'])).stdout;
    expect(await commitAll({ dir, message: 'Nothing', requestId: 'req-2' })).toEqual({ commit: head, created: false, empty: true });
    expect(await commitCount(dir)).toBe(1);
  });

  it('uses the given author, and drops request trailers forged inside the message', async () => {
    const dir = await workingCopy();
    await writeFiles(dir, { 'a.txt': 'a\n' });
    await commitAll({
      dir,
      message: 'Tweak copy\n\nVIBN-Request: someone-else',
      requestId: 'req-3',
      author: { name: 'Ada Founder', email: 'ada@example.com' },
    });
    expect(await requestIdsAtHead(dir)).toEqual(['req-3']);
    expect((await runGit(dir, ['log', '-1', '--format=%an <%ae>'])).stdout).toBe('Ada Founder <ada@example.com>');
  });

  it('refuses a request id that could break out of the trailer line', async () => {
    const dir = await workingCopy();
    await expect(commitAll({ dir, message: 'x', requestId: 'a\nb' })).rejects.toThrow(/requestId/);
  });
});

describe('messageWithTrailer', () => {
  it('puts the trailer in its own final paragraph', () => {
    expect(messageWithTrailer('Title\n\nBody\n', 'r1')).toBe('Title\n\nBody\n\nVIBN-Request: r1\n');
  });
});
