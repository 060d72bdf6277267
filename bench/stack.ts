/**
 * A real stack for benchmarks, as the tests have: a Temporal dev server, a fresh database (DATABASE_URL's
 * server or an embedded Postgres), a worker on the given scripted scenarios and the API in-process.
 */
import { createBenchDatabase } from './database.js';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { buildApp } from '../api/app.js';
import { runGit } from '../runtime/git/run-git.js';
import { newAdminToken } from '../lib/admin-token.js';
import { loadConfig } from '../lib/config.js';
import type { Scenario } from '../llm/scenario.js';
import { ScriptedProvider } from '../llm/scripted-provider.js';
import { sandboxFor } from '../runtime/workspace/sandbox-context.js';
import { resolveTemporalCli } from '../temporal-config/temporal-cli.js';
import { startDevServer } from '../temporal-config/dev-server.js';
import type { RequestSettings } from '../workflows/request-contract.js';
import { createWorker } from '../workers/worker.js';
import { removeStateFolder } from '../runtime/workspace/project-disk.js';

export async function startBenchStack(scenarios: Scenario[], settings: RequestSettings) {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const config = loadConfig();
  const log = pino({ level: 'warn' });
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-bench-'));
  await fs.chmod(home, 0o755);
  const stops: Array<() => Promise<unknown>> = [];

  const { database, stop: dropDatabase } = await createBenchDatabase({ serverUrl: config.database.url, home, embeddedPort: 54_329, log });
  stops.push(dropDatabase);

  const cli = await resolveTemporalCli({ cliPath: config.temporal.cliPath, toolsDir: config.toolsDir }, log);
  const server = await startDevServer({ executable: cli.executable, namespace: 'default' });
  stops.push(() => server.stop());
  const taskQueue = 'bench';
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    deps: {
      db: database.db,
      llm: new ScriptedProvider(scenarios),
      home,
      log,
      modelSettings: { prices: config.llm.prices, budgets: config.budgets },
      toolContext: (workdir, project) => ({ sandbox: sandboxFor(workdir, config.unsandboxed, project, config.unbounded) }),
    },
  });
  const running = worker.run();
  stops.push(async () => {
    worker.shutdown();
    await running;
    await nativeConnection.close();
  });

  const client = new Client({ connection: server.env.connection, namespace: 'default' });
  const adminToken = newAdminToken();
  const app = buildApp({ pool: database.pool, db: database.db, temporal: server.env.connection, client, taskQueue, requestSettings: settings, logger: log, adminToken });
  const remote = await createPlainRepository(home);
  const call = async (method: 'GET' | 'POST', route: string, payload?: object) => {
    const res = await app.inject({ method, url: route, payload, headers: { authorization: `Bearer ${adminToken}` } });
    return res.json();
  };

  return {
    database,
    client,
    remote,
    call,
    async stop() {
      await app.close();
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      await removeStateFolder(home);
    },
  };
}

/**
 * A bare repository holding one README and no checks, so a benchmark measures scheduling and git, not a
 * project's test suite.
 */
async function createPlainRepository(home: string) {
  const work = path.join(home, 'plain-work');
  const bareDir = path.join(home, 'git', 'plain.git');
  await fs.mkdir(work, { recursive: true });
  await runGit(work, ['init', '--quiet', '--initial-branch=main']);
  await fs.writeFile(path.join(work, 'README.md'), '# bench\n');
  await runGit(work, ['add', '-A']);
  await runGit(work, ['commit', '--quiet', '-m', 'Initial commit']);
  await runGit(home, ['clone', '--quiet', '--bare', work, bareDir]);
  return { remoteUrl: bareDir, bareDir };
}
