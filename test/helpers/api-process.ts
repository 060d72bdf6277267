/**
 * A second API process (`api/server.ts`, as `npm run api` starts it) on the test's database and Temporal, for
 * what must hold across processes: a revocation made in one reaching sockets held by another, a ticket used
 * in one refused in the other.
 */
import type { ChildProcess } from 'node:child_process';
import { inject } from 'vitest';
import { spawnEntry, stopProcess } from '../../scripts/processes.js';
import { eventually } from './poll.js';
import { freePort } from './ports.js';

export type ApiProcess = { url: string; child: ChildProcess; log: () => string; stop(): Promise<void> };

export async function startApiProcess(options: { databaseUrl: string; home: string; adminToken: string; env?: NodeJS.ProcessEnv }): Promise<ApiProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  // A developer's own keys and settings must not reach the process under test.
  for (const name of Object.keys(env)) if (/^(ANTHROPIC|GEMINI|TIER_[ABC])_/.test(name)) delete env[name];
  const child = spawnEntry(
    'api/server.ts',
    {
      ...env,
      DATABASE_URL: options.databaseUrl,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      VIBN_HOME: options.home,
      VIBN_ADMIN_TOKEN: options.adminToken,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_FORMAT: 'json',
      ...options.env,
    },
    'pipe',
  );
  // Read (and keep the tail of) its output, so a full pipe never blocks it and a failure can be shown.
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  try {
    await eventually(
      'the second API process',
      async () => {
        if (child.exitCode !== null) throw new Error(`the API process exited with ${child.exitCode}: ${tail}`);
        const res = await fetch(`${url}/api/projects`, { headers: { authorization: `Bearer ${options.adminToken}` } }).catch(() => undefined);
        return res?.ok ? true : undefined;
      },
      90_000,
    );
  } catch (err) {
    await stopProcess(child, 5_000);
    throw err;
  }
  return { url, child, log: () => tail, stop: () => stopProcess(child) };
}
