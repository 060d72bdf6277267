import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeTool } from './index.js';
import { makeWorkspace } from './test-workspace.js';

describe('write_file', () => {
  it('creates a file and its missing folders, and reports it changed', async () => {
    const ctx = await makeWorkspace();
    const outcome = await executeTool(ctx, 'write_file', { path: 'src/deep/new.ts', content: 'hello\n' });
    expect(outcome).toEqual({ output: 'Created src/deep/new.ts (6 bytes).', isError: false, changedFiles: ['src/deep/new.ts'] });
    expect(await fs.readFile(path.join(ctx.root, 'src/deep/new.ts'), 'utf8')).toBe('hello\n');
  });

  it('replaces an existing file', async () => {
    const ctx = await makeWorkspace({ 'a.txt': 'old' });
    const outcome = await executeTool(ctx, 'write_file', { path: './a.txt', content: 'new' });
    expect(outcome).toMatchObject({ isError: false, changedFiles: ['a.txt'] });
    expect(outcome.output).toMatch(/^Replaced a.txt/);
    expect(await fs.readFile(path.join(ctx.root, 'a.txt'), 'utf8')).toBe('new');
  });

  it('refuses content over the size bound and writing onto a folder', async () => {
    const ctx = await makeWorkspace({ 'src/a.ts': '' });
    const big = await executeTool(ctx, 'write_file', { path: 'big.txt', content: 'x'.repeat(1_000_001) });
    expect(big.isError).toBe(true);
    expect(big.output).toContain('over the 1000000-byte limit');
    expect((await executeTool(ctx, 'write_file', { path: 'src', content: 'x' })).output).toContain('"src" is a folder');
  });
});
