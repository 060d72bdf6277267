import { describe, expect, it } from 'vitest';
import { executeTool } from './index.js';
import { makeWorkspace } from './test-workspace.js';

const numbered = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

describe('read_file', () => {
  it('returns the content of a text file', async () => {
    const ctx = await makeWorkspace({ 'src/a.ts': 'export const a = 1;\n' });
    expect(await executeTool(ctx, 'read_file', { path: 'src/a.ts' })).toEqual({ output: 'export const a = 1;', isError: false });
  });

  it('reads a window of lines with offset and limit', async () => {
    const ctx = await makeWorkspace({ 'n.txt': numbered });
    const outcome = await executeTool(ctx, 'read_file', { path: 'n.txt', offset: 10, limit: 3 });
    expect(outcome.output).toBe('line 10\nline 11\nline 12\n[showing lines 10-12; the file continues at line 13]');
  });

  it('cuts a long file at the size limit and says which offset reads on', async () => {
    const ctx = await makeWorkspace({ 'n.txt': numbered }, { maxReadBytes: 40 });
    const first = await executeTool(ctx, 'read_file', { path: 'n.txt' });
    expect(first.output).toBe('line 1\nline 2\nline 3\nline 4\nline 5\n[showing lines 1-5; the file continues: call read_file with offset=6 to read more]');
    const next = await executeTool(ctx, 'read_file', { path: 'n.txt', offset: 6 });
    expect(next.output.startsWith('line 6\n')).toBe(true);
  });

  it('explains a missing file, an offset past the end and a binary file', async () => {
    const ctx = await makeWorkspace({ 'n.txt': numbered, 'img.bin': 'PNG\0\0data' });
    expect((await executeTool(ctx, 'read_file', { path: 'missing.ts' })).output).toContain('"missing.ts" does not exist');
    expect((await executeTool(ctx, 'read_file', { path: 'n.txt', offset: 500 })).output).toContain('has only 100 lines');
    expect((await executeTool(ctx, 'read_file', { path: 'img.bin' })).output).toContain('binary');
  });
});
