/**
 * The fault suite's own stack, every part a real process it may kill: an embedded Postgres (db/embedded.ts)
 * on a data folder of its own and a Temporal dev server (the CLI, persisting to a SQLite file), shared by
 * lanes; each lane is an API process (api/server.ts) and its workers (./worker-entry.ts) on a task queue of
 * its own, so two cases whose faults stay inside their lane can run side by side. Nothing here touches the
 * machine's shared Postgres or the test run's in-memory Temporal server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import pg from 'pg';
import pino from 'pino';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../db/embedded.js';
import { runMigrations } from '../../db/migrate.js';
import { loadConfig } from '../../lib/config.js';
import { spawnEntry, stopProcess } from '../../scripts/processes.js';
import { dynamicConfigArgs } from '../../temporal-config/dev-server.js';
import { registerSearchAttributes } from '../../temporal-config/search-attributes.js';
import { resolveTemporalCli } from '../../temporal-config/temporal-cli.js';
import { bundlerOptions, WORKFLOWS_PATH } from '../../workers/worker.js';
import { freePort } from '../helpers/ports.js';
import { ADMIN_TOKEN } from '../helpers/stream-client.js';
import { isRunning } from '../../lib/process-state.js';
import { childrenOf, waitUntilGone } from './processes.js';
import { removeStateFolder } from '../../runtime/workspace/project-disk.js';

export const NAMESPACE = 'default';
export { ADMIN_TOKEN };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries `probe` until it resolves, for at most `timeoutMs`; the last error names what never came up. */
async function until<T>(what: string, probe: () => Promise<T>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs} ms: ${(err as Error).message}`);
      await sleep(everyMs);
    }
  }
}

/** Extra environment for a lane's workers, e.g. model tiers on a local fake vendor. */
export type WorkerEnv = Record<string, string>;

export class FaultStack {
  private pg!: EmbeddedDatabase;
  private temporalProcess?: ChildProcess;
  private logSeq = 0;
  readonly lanes: Lane[] = [];
  /** Postgres pool of the test itself, for probing progress; it survives Postgres restarts. */
  readonly sql: pg.Pool;
  readonly client: Client;

  private constructor(
    readonly scratch: string,
    readonly home: string,
    readonly databaseUrl: string,
    private readonly pgPort: number,
    readonly temporalPort: number,
    private readonly temporalCli: string,
    readonly bundlePath: string,
    private readonly connection: Connection,
  ) {
    this.sql = new pg.Pool({ connectionString: databaseUrl, max: 4, connectionTimeoutMillis: 2_000 });
    this.sql.on('error', () => undefined); // idle connections dropped by a Postgres restart
    this.client = new Client({ connection, namespace: NAMESPACE });
  }

  get temporalAddress() {
    return `127.0.0.1:${this.temporalPort}`;
  }
  get pgDataDir() {
    return path.join(this.scratch, 'postgres');
  }

  static async start(lanes = 1): Promise<FaultStack> {
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-faults-'));
    // Readable by the unprivileged user an embedded Postgres runs as when the tests run as root.
    await fs.chmod(scratch, 0o755);
    const home = path.join(scratch, 'home');
    await fs.mkdir(path.join(scratch, 'logs'), { recursive: true });
    await fs.mkdir(home, { recursive: true });
    const log = pino({ level: 'silent' });
    const [pgPort, temporalPort] = [await freePort(), await freePort()];

    const config = loadConfig();
    const cli = await resolveTemporalCli({ cliPath: config.temporal.cliPath, toolsDir: config.toolsDir }, log);
    if (cli.executable.type !== 'existing-path') throw new Error('the fault suite needs the Temporal CLI on this machine (see README: TEMPORAL_CLI_PATH)');

    const bundling = bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, ...bundlerOptions, logger: new DefaultLogger('WARN') });
    const pgDb = await startEmbeddedPostgres(path.join(scratch, 'postgres'), pgPort, log);
    await runMigrations(pgDb.url);
    const bundlePath = path.join(scratch, 'workflow-bundle.js');
    await fs.writeFile(bundlePath, (await bundling).code);

    const connection = Connection.lazy({ address: `127.0.0.1:${temporalPort}` });
    const stack = new FaultStack(scratch, home, pgDb.url, pgPort, temporalPort, cli.executable.path, bundlePath, connection);
    stack.pg = pgDb;
    await stack.startTemporal();
    await registerSearchAttributes(connection, NAMESPACE);
    for (let i = 0; i < lanes; i++) stack.lanes.push(new Lane(stack, i, await freePort()));
    await Promise.all(stack.lanes.map((l) => l.startApi()));
    return stack;
  }

  /** A log file for one child process, so a failing case can show what its processes said. */
  logFile(name: string) {
    return path.join(this.scratch, 'logs', `${String(++this.logSeq).padStart(3, '0')}-${name}.log`);
  }

  pipe(child: ChildProcess, file: string) {
    const out = createWriteStream(file, { flags: 'a' });
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    child.once('exit', (code, signal) => out.end(`\n[faults] exited code=${code} signal=${signal}\n`));
  }

  /** The environment of the API and worker processes. */
  baseEnv(taskQueue: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    // A developer's own keys must not turn the scripted suite into a paid one.
    for (const name of Object.keys(env)) if (/^(ANTHROPIC|GEMINI|TIER_[ABC])_/.test(name)) delete env[name];
    return {
      ...env,
      DATABASE_URL: this.databaseUrl,
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TASK_QUEUE: taskQueue,
      // Each lane its own Worker Deployment: its workers' versions and promotions are not another lane's.
      VIBN_WORKER_DEPLOYMENT: `vibn-${taskQueue}`,
      VIBN_HOME: this.home,
      LOG_FORMAT: 'json',
    };
  }

  // ---- Temporal dev server -------------------------------------------------------------------------------

  /** Starts (or restarts, on the same port and file) the dev server and waits until it answers. */
  async startTemporal(): Promise<void> {
    const args = [
      'server', 'start-dev',
      '--db-filename', path.join(this.scratch, 'temporal.db'),
      '--ip', '127.0.0.1',
      '--port', String(this.temporalPort),
      '--headless',
      '--namespace', NAMESPACE,
      '--log-level', 'warn',
      ...(await dynamicConfigArgs()),
    ];
    const child = spawn(this.temporalCli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.pipe(child, this.logFile('temporal'));
    this.temporalProcess = child;
    await until('the Temporal dev server', async () => {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
      await this.connection.workflowService.getSystemInfo({});
    }, 60_000);
  }

  /** SIGKILLs the dev server (its SQLite file keeps the state). */
  async killTemporal(): Promise<void> {
    const child = this.temporalProcess!;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  // ---- Postgres --------------------------------------------------------------------------------------------

  /** SIGKILLs the postmaster; its backends notice and exit, as after a host crash. */
  async killPostgres(): Promise<void> {
    const pid = Number((await fs.readFile(path.join(this.pgDataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const backends = await childrenOf(pid);
    process.kill(pid, 'SIGKILL');
    await waitUntilGone([pid, ...backends], 30_000);
  }

  /** Starts Postgres again on the same data folder and port (crash recovery runs first). */
  async startPostgres(): Promise<void> {
    this.pg = await startEmbeddedPostgres(this.pgDataDir, this.pgPort, pino({ level: 'silent' }));
  }

  /** Pids of the stack's own long-lived processes (not orphans). */
  livePids(): number[] {
    return [this.temporalProcess?.pid, ...this.lanes.flatMap((l) => l.pids())].filter((p): p is number => p !== undefined);
  }

  /** The tail of every process log, for a case that failed. */
  async logTails(lines = 30): Promise<string> {
    const dir = path.join(this.scratch, 'logs');
    const out: string[] = [];
    for (const file of (await fs.readdir(dir)).sort()) {
      const text = (await fs.readFile(path.join(dir, file), 'utf8')).trim().split('\n').slice(-lines).join('\n');
      out.push(`--- ${file}\n${text}`);
    }
    return out.join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.stop()));
    await this.sql.end().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
    if (this.temporalProcess && (await isRunning(this.temporalProcess.pid!))) await stopProcess(this.temporalProcess, 5_000);
    await this.pg.stop().catch(() => undefined);
    if (!process.env.FAULTS_KEEP) await removeStateFolder(this.scratch);
  }
}

/** One API process and its workers, on a task queue no other lane uses. */
export class Lane {
  private apiProcess?: ChildProcess;
  private workerEnvKey = '';
  readonly workers = new Set<ChildProcess>();
  /** Processes the suite kills or stops; any other exit is a crash the product must not have. */
  private readonly stopping = new WeakSet<ChildProcess>();
  /** API and worker exits nobody asked for, in order: a case reports the ones that happened during it. */
  readonly crashes: string[] = [];
  readonly taskQueue: string;

  constructor(
    private readonly stack: FaultStack,
    readonly index: number,
    readonly apiPort: number,
  ) {
    this.taskQueue = `faults-${index}`;
  }

  get apiUrl() {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  // ---- API -------------------------------------------------------------------------------------------------

  /** Starts (or restarts, on the same port) the API process and waits until it serves authenticated calls. */
  async startApi(): Promise<void> {
    const child = spawnEntry(
      'api/server.ts',
      {
        ...this.stack.baseEnv(this.taskQueue),
        HOST: '127.0.0.1',
        PORT: String(this.apiPort),
        VIBN_ADMIN_TOKEN: ADMIN_TOKEN,
        RATE_LIMIT_PER_MINUTE: '100000',
        // The ten-task scenario runs all its tasks at once; the demo's graph is never wider than two.
        MAX_PARALLEL_TASKS: '10',
      },
      'pipe',
    );
    this.stack.pipe(child, this.stack.logFile(`api${this.index}`));
    this.apiProcess = child;
    this.watchForCrash(child, 'API');
    await until('the API', async () => {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
      const res = await fetch(`${this.apiUrl}/api/projects`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      if (!res.ok) throw new Error(`answered ${res.status}`);
    }, 60_000, 100);
  }

  async killApi(): Promise<void> {
    const child = this.apiProcess!;
    this.stopping.add(child);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** One authenticated API call; throws on a network error (the API may be down) but not on an HTTP status. */
  async call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${this.apiUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  // ---- workers ---------------------------------------------------------------------------------------------

  /** Starts a worker process and waits until it has connected (its log says so). */
  async startWorker(env: WorkerEnv = {}): Promise<ChildProcess> {
    const child = spawnEntry(
      'test/faults/worker-entry.ts',
      { ...this.stack.baseEnv(this.taskQueue), FAULTS_WORKFLOW_BUNDLE: this.stack.bundlePath, ...env },
      'pipe',
    );
    const file = this.stack.logFile(`worker${this.index}`);
    this.stack.pipe(child, file);
    this.workers.add(child);
    child.once('exit', () => this.workers.delete(child));
    this.watchForCrash(child, 'worker');
    await until('a worker', async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker exited (${child.exitCode ?? child.signalCode}); see ${file}`);
      const text = await fs.readFile(file, 'utf8').catch(() => '');
      if (!text.includes('fault worker started')) throw new Error('not started yet');
    }, 60_000, 100);
    return child;
  }

  /** SIGKILLs a worker and returns the processes it had started, so the suite can check none outlived it. */
  async killWorker(child: ChildProcess): Promise<number[]> {
    const descendants = await childrenOf(child.pid!, true);
    this.stopping.add(child);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    return descendants;
  }

  /**
   * `count` workers on `env`, reusing the running ones when they fit (a worker start costs seconds), so
   * cases that need no special worker share them.
   */
  async ensureWorkers(count: number, env: WorkerEnv = {}): Promise<ChildProcess[]> {
    const key = JSON.stringify(env);
    if (key !== this.workerEnvKey || this.workers.size > count) await this.stopWorkers();
    this.workerEnvKey = key;
    while (this.workers.size < count) await this.startWorker(env);
    return [...this.workers];
  }

  async stopWorkers(): Promise<void> {
    for (const w of this.workers) this.stopping.add(w);
    await Promise.all([...this.workers].map((w) => stopProcess(w, 10_000)));
  }

  private watchForCrash(child: ChildProcess, what: string): void {
    child.once('exit', (code, signal) => {
      if (!this.stopping.has(child)) this.crashes.push(`the ${what} process ${child.pid} exited by itself (${code ?? signal}); see its log`);
    });
  }

  pids(): number[] {
    return [this.apiProcess?.pid, ...[...this.workers].map((w) => w.pid)].filter((p): p is number => p !== undefined);
  }

  async stop(): Promise<void> {
    await this.stopWorkers();
    if (this.apiProcess) {
      this.stopping.add(this.apiProcess);
      await stopProcess(this.apiProcess, 5_000);
    }
  }
}
