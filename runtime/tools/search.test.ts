import { describe, expect, it } from 'vitest';
import { executeTool } from './index.js';
import { makeWorkspace } from './test-workspace.js';

const files = {
  'src/a.ts': 'import x from "y";\nexport function alpha() {}\n',
  'src/b.ts': 'export function beta() {}\n// alpha(1)\n',
  'node_modules/dep/index.js': 'export function alpha() {}\n',
  '.git/ORIG': 'alpha',
  'logo.png': 'alpha\0\0binary',
};

describe('search', () => {
  it('prints file:line: text for regex matches, skipping dependencies, git and binaries', async () => {
    const ctx = await makeWorkspace(files);
    const outcome = await executeTool(ctx, 'search', { pattern: 'function \\w+\\(' });
    expect(outcome).toEqual({ output: 'src/a.ts:2: export function alpha() {}\nsrc/b.ts:1: export function beta() {}', isError: false });
  });

  it('searches plain text with fixed, within a path, ignoring case on request', async () => {
    const ctx = await makeWorkspace(files);
    expect((await executeTool(ctx, 'search', { pattern: 'alpha(1)', fixed: true })).output).toBe('src/b.ts:2: // alpha(1)');
    expect((await executeTool(ctx, 'search', { pattern: 'ALPHA', path: 'src/a.ts', ignore_case: true })).output).toBe(
      'src/a.ts:2: export function alpha() {}',
    );
    expect((await executeTool(ctx, 'search', { pattern: 'gamma' })).output).toContain('No matches');
  });

  it('caps the matches and says so', async () => {
    const ctx = await makeWorkspace({ 'many.txt': 'hit\n'.repeat(50) }, { maxSearchMatches: 10 });
    const lines = (await executeTool(ctx, 'search', { pattern: 'hit' })).output.split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[10]).toContain('stopped after 10 matches');
  });

  it('explains an invalid regular expression', async () => {
    const ctx = await makeWorkspace(files);
    const outcome = await executeTool(ctx, 'search', { pattern: 'alpha(' });
    expect(outcome.isError).toBe(true);
    expect(outcome.output).toContain('fixed: true');
  });
});
