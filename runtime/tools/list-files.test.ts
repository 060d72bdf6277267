import { describe, expect, it } from 'vitest';
import { executeTool } from './index.js';
import { makeWorkspace } from './test-workspace.js';

describe('list_files', () => {
  const files = {
    'README.md': '#',
    'src/index.ts': '',
    'src/lib/util.ts': '',
    '.git/HEAD': 'ref',
    'node_modules/pkg/index.js': '',
  };

  it('lists the root, folders marked with /, skipping .git and node_modules', async () => {
    const ctx = await makeWorkspace(files);
    expect(await executeTool(ctx, 'list_files', {})).toEqual({ output: 'README.md\nsrc/', isError: false });
  });

  it('lists a subtree recursively with root-relative paths', async () => {
    const ctx = await makeWorkspace(files);
    const outcome = await executeTool(ctx, 'list_files', { path: 'src', recursive: true });
    expect(outcome.output.split('\n')).toEqual(['src/index.ts', 'src/lib/', 'src/lib/util.ts']);
  });

  it('caps the listing and says how many entries were left out', async () => {
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${String(i).padStart(2, '0')}.txt`, '']));
    const ctx = await makeWorkspace(many, { maxListEntries: 5 });
    const lines = (await executeTool(ctx, 'list_files', {})).output.split('\n');
    expect(lines.slice(0, 5)).toEqual(['f00.txt', 'f01.txt', 'f02.txt', 'f03.txt', 'f04.txt']);
    expect(lines[5]).toMatch(/^\(7 more not shown/);
  });

  it('tells the model when the path is a file or missing', async () => {
    const ctx = await makeWorkspace(files);
    expect((await executeTool(ctx, 'list_files', { path: 'README.md' })).output).toContain('use read_file');
    const missing = await executeTool(ctx, 'list_files', { path: 'nope' });
    expect(missing).toMatchObject({ isError: true });
    expect(missing.output).toContain('"nope" does not exist');
  });
});
