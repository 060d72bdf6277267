import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeTool } from './index.js';
import { makeWorkspace } from './test-workspace.js';

describe('edit_file', () => {
  it('replaces the one exact match, $ patterns included literally', async () => {
    const ctx = await makeWorkspace({ 'a.ts': 'const a = 1;\nconst b = 2;\n' });
    const outcome = await executeTool(ctx, 'edit_file', { path: 'a.ts', old_text: 'const b = 2;', new_text: "const b = '$&';" });
    expect(outcome).toEqual({ output: 'Edited a.ts at line 2.', isError: false, changedFiles: ['a.ts'] });
    expect(await fs.readFile(path.join(ctx.root, 'a.ts'), 'utf8')).toBe("const a = 1;\nconst b = '$&';\n");
  });

  it('tells the model to read the file again when nothing matches', async () => {
    const ctx = await makeWorkspace({ 'a.ts': 'const a = 1;\n' });
    const outcome = await executeTool(ctx, 'edit_file', { path: 'a.ts', old_text: 'const a = 2;', new_text: 'x' });
    expect(outcome.isError).toBe(true);
    expect(outcome.output).toContain('not found');
    expect(outcome.output).toContain('read_file');
  });

  it('asks for more context when the text occurs twice, and changes nothing', async () => {
    const ctx = await makeWorkspace({ 'a.ts': 'x = 1;\ny = 0;\nx = 1;\n' });
    const outcome = await executeTool(ctx, 'edit_file', { path: 'a.ts', old_text: 'x = 1;', new_text: 'x = 2;' });
    expect(outcome.isError).toBe(true);
    expect(outcome.output).toContain('occurs 2 times');
    expect(outcome.output).toContain('lines 1, 3');
    expect(outcome.output).toContain('more surrounding lines');
    expect(await fs.readFile(path.join(ctx.root, 'a.ts'), 'utf8')).toBe('x = 1;\ny = 0;\nx = 1;\n');
  });

  it('matches multi-line text copied from read_file in a CRLF file', async () => {
    const ctx = await makeWorkspace({ 'w.txt': 'one\r\ntwo\r\nthree\r\n' });
    const outcome = await executeTool(ctx, 'edit_file', { path: 'w.txt', old_text: 'one\ntwo', new_text: 'uno\ndos' });
    expect(outcome.isError).toBe(false);
    expect(await fs.readFile(path.join(ctx.root, 'w.txt'), 'utf8')).toBe('uno\r\ndos\r\nthree\r\n');
  });
});
