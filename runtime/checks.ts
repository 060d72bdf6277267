/**
 * A project's checks (install, typecheck, lint, test, build): declared in vibn.json at the repository root,
 * or found among package.json's scripts. An agent's work counts as done only when they pass.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { executeTool, type ToolContext } from './tools/index.js';

export const CHECK_ORDER = ['install', 'typecheck', 'lint', 'test', 'build'] as const;
export type CheckName = (typeof CHECK_ORDER)[number];

const command = z.string().trim().min(1).max(2_000);
const vibnJsonSchema = z.object({ checks: z.partialRecord(z.enum(CHECK_ORDER), command).default({}) });

export type Checks = Partial<Record<CheckName, string>>;
export type CheckResult = { name: CheckName; command: string; ok: boolean; output: string };

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The checks a working copy declares; vibn.json wins, else package.json scripts by their usual names. */
export async function detectChecks(dir: string): Promise<Checks> {
  const declared = vibnJsonSchema.safeParse(await readJson(path.join(dir, 'vibn.json')));
  if (declared.success && Object.keys(declared.data.checks).length) return declared.data.checks;
  const pkg = (await readJson(path.join(dir, 'package.json'))) as { scripts?: Record<string, string> } | undefined;
  const scripts = pkg?.scripts ?? {};
  const checks: Checks = {};
  for (const name of ['typecheck', 'lint', 'test', 'build'] as const) {
    // npm init's placeholder test script fails on purpose; it is not a check.
    if (scripts[name] && !/no test specified/.test(scripts[name])) checks[name] = `npm run ${name}`;
  }
  return checks;
}

/** Runs the checks in order through the agent's own (sandboxed) command tool, stopping at the first failure. */
export async function runChecks(ctx: ToolContext, checks: Checks): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const name of CHECK_ORDER) {
    const cmd = checks[name];
    if (!cmd) continue;
    const outcome = await executeTool(ctx, 'execute_command', { command: cmd });
    results.push({ name, command: cmd, ok: !outcome.isError, output: outcome.output });
    if (outcome.isError) break;
  }
  return results;
}
