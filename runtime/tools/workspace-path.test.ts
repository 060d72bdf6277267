import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeTool } from './index.js';
import { makeWorkspace } from './test-workspace.js';
import { resolveWorkspacePath } from './workspace-path.js';

describe('the workspace path rule', () => {
  it('refuses .. escapes and absolute paths outside the workspace', async () => {
    const ctx = await makeWorkspace({ 'a.txt': 'a' });
    for (const p of ['../outside.txt', 'src/../../x', '/etc/passwd']) {
      const outcome = await executeTool(ctx, 'read_file', { path: p });
      expect(outcome.isError).toBe(true);
      expect(outcome.output).toContain(`path "${p}" is outside the workspace`);
    }
    const write = await executeTool(ctx, 'write_file', { path: '../escaped.txt', content: 'x' });
    expect(write.output).toContain('outside the workspace');
    await expect(fs.access(path.join(ctx.root, '..', 'escaped.txt'))).rejects.toThrow();
  });

  it('accepts an absolute path that lies inside the workspace', async () => {
    const ctx = await makeWorkspace({ 'a.txt': 'inside' });
    const outcome = await executeTool(ctx, 'read_file', { path: path.join(ctx.root, 'a.txt') });
    expect(outcome).toEqual({ output: 'inside', isError: false });
  });

  it('refuses symlinks that lead outside, for reading, listing and writing', async () => {
    const ctx = await makeWorkspace();
    await fs.symlink('/etc', path.join(ctx.root, 'etc-link'));
    await fs.symlink('/tmp/vibn-not-there-' + Date.now(), path.join(ctx.root, 'dangling'));
    expect((await executeTool(ctx, 'read_file', { path: 'etc-link/passwd' })).output).toContain('outside the workspace');
    expect((await executeTool(ctx, 'list_files', { path: 'etc-link' })).output).toContain('outside the workspace');
    expect((await executeTool(ctx, 'write_file', { path: 'etc-link/new-file', content: 'x' })).output).toContain('outside the workspace');
    // A link whose target does not exist yet would be created outside by a write that follows it.
    expect((await executeTool(ctx, 'write_file', { path: 'dangling', content: 'x' })).output).toContain('outside the workspace');
  });

  it('follows symlinks that stay inside', async () => {
    const ctx = await makeWorkspace({ 'src/real.txt': 'real' });
    await fs.symlink('src', path.join(ctx.root, 'alias'));
    expect(await executeTool(ctx, 'read_file', { path: 'alias/real.txt' })).toEqual({ output: 'real', isError: false });
    const resolved = await resolveWorkspacePath(ctx.root, 'alias/new/deep.txt', { forWrite: true });
    expect(resolved.relative).toBe('src/new/deep.txt');
  });

  it('refuses writes into .git but lets them be read', async () => {
    const ctx = await makeWorkspace({ '.git/config': '[core]' });
    for (const p of ['.git/config', '.git/hooks/pre-commit', 'sub/.git/HEAD']) {
      const outcome = await executeTool(ctx, 'write_file', { path: p, content: 'rm -rf /' });
      expect(outcome.isError).toBe(true);
      expect(outcome.output).toContain('inside .git');
    }
    expect((await executeTool(ctx, 'edit_file', { path: '.git/config', old_text: 'core', new_text: 'x' })).output).toContain('inside .git');
    expect(await executeTool(ctx, 'read_file', { path: '.git/config' })).toEqual({ output: '[core]', isError: false });
    expect(await fs.readFile(path.join(ctx.root, '.git/config'), 'utf8')).toBe('[core]');
  });
});
