/**
 * Test helpers: a real temporary workspace folder, removed after each test, and a context that points at it.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { defaultToolLimits, type ToolContext, type ToolLimits } from './types.js';

const created: string[] = [];

afterEach(async () => {
  await Promise.all(created.splice(0).map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

/** Makes a workspace holding `files` (path → content) and returns a tool context for it. */
export async function makeWorkspace(files: Record<string, string> = {}, limits: Partial<ToolLimits> = {}): Promise<ToolContext> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-tools-'));
  created.push(root);
  for (const [file, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await fs.writeFile(path.join(root, file), content);
  }
  // The tools' own tests run commands straight on the host; the sandbox has its own tests (sandbox-escapes).
  return { root, limits: { ...defaultToolLimits, ...limits }, sandbox: 'unsandboxed' };
}

