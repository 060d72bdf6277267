import { afterEach, describe, expect, it } from 'vitest';
import { listFilesAtRef, readFileAtRef } from './read-tree.js';
import { makeRemote, TempDirs } from './test-repos.js';

const temp = new TempDirs();
afterEach(() => temp.removeAll());

describe('reading a commit in a bare repository', () => {
  it('lists files and reads them byte for byte, with undefined for a missing file', async () => {
    const remote = await makeRemote(temp, { 'README.md': 'hi\n\n', 'public/my page.html': '<p>x</p>' });
    expect(await listFilesAtRef(remote, 'main')).toEqual(['README.md', 'public/my page.html']);
    expect(await readFileAtRef(remote, 'main', 'README.md')).toBe('hi\n\n');
    expect(await readFileAtRef(remote, 'main', './public/my page.html')).toBe('<p>x</p>');
    expect(await readFileAtRef(remote, 'main', 'nope.txt')).toBeUndefined();
  });

  it('fails clearly for a ref that does not exist', async () => {
    const remote = await makeRemote(temp);
    await expect(readFileAtRef(remote, 'no-such-branch', 'README.md')).rejects.toThrow(/no-such-branch names no commit/);
  });
});
