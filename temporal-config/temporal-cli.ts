/**
 * Finds the Temporal CLI that runs the local dev server, building it once if needed.
 * Order: TEMPORAL_CLI_PATH, `temporal` on PATH, the tools folder, `go install` into the tools folder,
 * and last @temporalio/testing's own download (works on a machine with internet access).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { EphemeralServerExecutable } from '@temporalio/testing';
import { execa } from 'execa';
import type { Logger } from '../lib/logger.js';

/** The newest CLI tag that `go install` accepts: later tags carry a replace directive. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export type ResolvedCli = { executable: EphemeralServerExecutable; how: string };

async function isExecutable(file: string): Promise<boolean> {
  return fs
    .access(file, fs.constants.X_OK)
    .then(() => true)
    .catch(() => false);
}

async function onPath(command: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function goInstall(toolsDir: string, log: Logger): Promise<string> {
  log.info({ module: TEMPORAL_CLI_MODULE, toolsDir }, 'building the Temporal CLI with go install; this takes several minutes on 2 cores, once');
  await fs.mkdir(toolsDir, { recursive: true });
  const started = Date.now();
  const progress = setInterval(
    () => log.info({ elapsedSeconds: Math.round((Date.now() - started) / 1000) }, 'still building the Temporal CLI'),
    30_000,
  );
  try {
    await execa('go', ['install', TEMPORAL_CLI_MODULE], { env: { GOBIN: toolsDir }, stdio: ['ignore', 'inherit', 'inherit'] });
  } finally {
    clearInterval(progress);
  }
  return path.join(toolsDir, 'temporal');
}

export async function resolveTemporalCli(opts: { cliPath?: string; toolsDir: string }, log: Logger): Promise<ResolvedCli> {
  const existing = (file: string, how: string): ResolvedCli => ({ executable: { type: 'existing-path', path: file }, how });
  if (opts.cliPath) {
    if (!(await isExecutable(opts.cliPath))) throw new Error(`TEMPORAL_CLI_PATH=${opts.cliPath} is not an executable file`);
    return existing(opts.cliPath, `TEMPORAL_CLI_PATH (${opts.cliPath})`);
  }
  const fromPath = await onPath('temporal');
  if (fromPath) return existing(fromPath, `temporal on PATH (${fromPath})`);
  const cached = path.join(opts.toolsDir, 'temporal');
  if (await isExecutable(cached)) return existing(cached, `tools folder (${cached})`);
  if (await onPath('go')) return existing(await goInstall(opts.toolsDir, log), `built with go install into ${opts.toolsDir}`);
  return {
    executable: { type: 'cached-download', downloadDir: opts.toolsDir },
    how: `downloaded by @temporalio/testing into ${opts.toolsDir}`,
  };
}
