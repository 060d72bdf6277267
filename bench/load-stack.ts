/**
 * The stack bench:load drives, as production runs it: a Temporal dev server, a fresh database (DATABASE_URL's
 * server or an embedded Postgres), the real API process (`api/server.ts`) on a port, and N worker processes on
 * one task queue. Each process is its own pid, so its CPU and memory can be read from /proc.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import pino from 'pino';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { loadConfig } from '../lib/config.js';
import { createFreshDatabase } from './database.js';
import type { Scenario } from '../llm/scenario.js';
import { runGit } from '../runtime/git/run-git.js';
import { spawnEntry, stopProcess, waitForHttp } from '../scripts/processes.js';
import { startDevServer } from '../temporal-config/dev-server.js';
import { resolveTemporalCli } from '../temporal-config/temporal-cli.js';
import { bundlerOptions, WORKFLOWS_PATH } from '../workers/worker.js';
import { REPORT_PREFIX, type WorkerReport } from './load-report.js';
import { findProcesses } from './load-sampler.js';
import { freePort } from '../test/helpers/ports.js';
import { removeStateFolder } from '../runtime/workspace/project-disk.js';

const TASK_QUEUE = 'bench-load';

/** Collects a child's stdout lines, so the bench can wait for one and read the worker's report at exit. */
function lines(child: ChildProcess) {
  const seen: string[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    seen.push(...parts);
  });
  // Errors go to the bench's stderr as they happen: a failed worker should be visible, not silent.
  child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const waitFor = async (prefix: string, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = seen.find((l) => l.startsWith(prefix));
      if (line) return line;
      if (child.exitCode !== null) throw new Error(`process ${child.pid} exited (${child.exitCode}) before printing ${prefix.trim()}`);
      if (Date.now() > deadline) throw new Error(`process ${child.pid} did not print ${prefix.trim()} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { seen, waitFor };
}

/** A bare repository with one README and no checks, so the bench measures scheduling and git, not a test suite. */
async function createPlainRepository(home: string, name: string) {
  const work = path.join(home, 'plain-work');
  const bare = path.join(home, 'git', `${name}.git`);
  try {
    await fs.access(work);
  } catch {
    await fs.mkdir(work, { recursive: true });
    await runGit(work, ['init', '--quiet', '--initial-branch=main']);
    await fs.writeFile(path.join(work, 'README.md'), '# bench\n');
    await runGit(work, ['add', '-A']);
    await runGit(work, ['commit', '--quiet', '-m', 'Initial commit']);
  }
  await runGit(home, ['clone', '--quiet', '--bare', work, bare]);
  return bare;
}

export type LoadStack = Awaited<ReturnType<typeof startLoadStack>>;

export async function startLoadStack(opts: { scenarios: Scenario[]; workers: number; projects: number }) {
  const config = loadConfig();
  const log = pino({ level: 'warn' });
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-bench-load-'));
  await fs.chmod(home, 0o755);
  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err) => console.error(`cleanup: ${(err as Error).message}`));
    stops.length = 0;
    await removeStateFolder(home);
  };

  try {
    let serverUrl = config.database.url;
    if (!serverUrl) {
      const embedded = await startEmbeddedPostgres(path.join(home, 'postgres'), await freePort(), log);
      stops.push(() => embedded.stop());
      serverUrl = embedded.url;
    }
    const database = await createFreshDatabase(serverUrl, 'vibn_load');
    stops.push(() => database.drop());

    const cli = await resolveTemporalCli({ cliPath: config.temporal.cliPath, toolsDir: config.toolsDir }, log);
    const server = await startDevServer({ executable: cli.executable, namespace: config.temporal.namespace });
    stops.push(() => server.stop());
    const temporalPort = server.address.split(':').pop()!;
    const [temporalPid] = await findProcesses((_comm, cmd) => cmd.includes('start-dev') && cmd.includes(`--port ${temporalPort}`));

    const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, ...bundlerOptions, logger: new DefaultLogger('WARN') });
    const bundlePath = path.join(home, 'workflow-bundle.js');
    await fs.writeFile(bundlePath, bundle.code);
    const scenariosPath = path.join(home, 'scenarios.json');
    await fs.writeFile(scenariosPath, JSON.stringify(opts.scenarios));

    const adminToken = `bench-load-${randomUUID()}`;
    const shared = {
      ...process.env,
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: config.temporal.namespace,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      VIBN_HOME: home,
      LOG_FORMAT: 'json',
    };
    const apiPort = await freePort();
    const api = spawnEntry(
      'api/server.ts',
      // The bench's founders all share the admin token: the per-token rate limit would otherwise refuse them.
      { ...shared, HOST: '127.0.0.1', PORT: String(apiPort), VIBN_ADMIN_TOKEN: adminToken, RATE_LIMIT_PER_MINUTE: '1000000' },
      'pipe',
    );
    lines(api);
    stops.push(() => stopProcess(api));
    const baseUrl = `http://127.0.0.1:${apiPort}`;

    const workers: Array<{ identity: string; child: ChildProcess; out: ReturnType<typeof lines> }> = [];
    for (let i = 1; i <= opts.workers; i++) {
      const identity = `worker-${i}`;
      const child = spawnEntry('bench/load-worker.ts', { ...shared, LOAD_WORKER_IDENTITY: identity, LOAD_SCENARIOS: scenariosPath, LOAD_WORKFLOW_BUNDLE: bundlePath }, 'pipe');
      const out = lines(child);
      workers.push({ identity, child, out });
      stops.push(() => stopProcess(child));
    }
    await waitForHttp(`${baseUrl}/health`, 60_000);
    for (const w of workers) await w.out.waitFor('LOAD-WORKER-READY', 60_000);

    const call = async <T = any>(method: 'GET' | 'POST', route: string, body?: object): Promise<{ status: number; body: T }> => {
      const res = await fetch(`${baseUrl}${route}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as T };
    };

    const projectIds: string[] = [];
    for (let i = 0; i < opts.projects; i++) {
      const repoUrl = await createPlainRepository(home, `load-${i}`);
      const res = await call<{ id: string }>('POST', '/api/projects', { name: `load-${i}`, repoUrl });
      if (res.status !== 201 && res.status !== 200) throw new Error(`creating a project answered ${res.status}: ${JSON.stringify(res.body)}`);
      projectIds.push(res.body.id);
    }

    const client = new Client({ connection: server.env.connection, namespace: config.temporal.namespace });
    return {
      baseUrl,
      adminToken,
      databaseUrl: database.url,
      client,
      projectIds,
      pids: { api: api.pid!, temporal: temporalPid, workers: workers.map((w) => ({ identity: w.identity, pid: w.child.pid! })) },
      /** Stops the workers first (each drains and reports what it handled), then everything else. */
      async stop(): Promise<WorkerReport[]> {
        const reports: WorkerReport[] = [];
        for (const w of workers) {
          await stopProcess(w.child, 30_000);
          const line = w.out.seen.find((l) => l.startsWith(REPORT_PREFIX));
          if (line) reports.push(JSON.parse(line.slice(REPORT_PREFIX.length)) as WorkerReport);
        }
        await stopAll();
        return reports;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
