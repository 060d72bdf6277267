import fs from 'node:fs/promises';
import { defaultToolLimits, minimalCommandEnv, type ToolContext } from '../runtime/tools/index.js';
import type { ActivityDeps } from './deps.js';

/**
 * Everything an agent command (or a check) in `workdir` runs with: default limits, a minimal environment
 * with no secrets, the worker's sandbox for this project, and the sandbox's HOME made ready.
 */
export async function commandContext(
  toolContext: ActivityDeps['toolContext'],
  workdir: string,
  project: { allowNetwork: boolean },
  signal?: AbortSignal,
): Promise<ToolContext> {
  const ctx: ToolContext = { root: workdir, limits: defaultToolLimits, env: minimalCommandEnv(), signal, ...toolContext(workdir, project) };
  if (typeof ctx.sandbox === 'object' && ctx.sandbox.homeDir) await fs.mkdir(ctx.sandbox.homeDir, { recursive: true });
  return ctx;
}
