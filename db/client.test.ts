import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { connectDatabase, type Database } from './client.js';
import { withWorkspaceLock } from './queries/workspace-lock.js';

/**
 * Postgres dropping connections (a restart, a failover) must cost a retry, never the process: these drops are
 * made with pg_terminate_backend, which ends a backend as a crash or restart would, from outside.
 */
let testDb: TestDatabase;
let database: Database;
let admin: pg.Client;
const dropped: Error[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase(inject('databaseUrl'));
  database = connectDatabase(testDb.url, { max: 3, onError: (err) => dropped.push(err) });
  admin = new pg.Client({ connectionString: testDb.url });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await database?.close();
  await testDb?.drop();
});

const backendPid = async (client: pg.ClientBase) => (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
const terminate = (pid: number) => admin.query('select pg_terminate_backend($1)', [pid]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('connectDatabase when Postgres drops connections', () => {
  it('survives a checked-out connection being dropped between queries, and the pool recovers', async () => {
    const before = dropped.length;
    const client = await database.pool.connect();
    try {
      await terminate(await backendPid(client));
      await sleep(200); // the drop arrives while no query runs on it
      expect(dropped.length).toBeGreaterThan(before);
      await expect(client.query('select 1')).rejects.toThrow();
    } finally {
      client.release();
    }
    const { rows } = await database.pool.query<{ one: number }>('select 1 as one');
    expect(rows[0]!.one).toBe(1);
  });

  it('fails the workspace lock when its connection drops during the work, and the next lock works', async () => {
    let lockPid = 0;
    const locked = withWorkspaceLock(database.db, 'project-x', async () => {
      lockPid = (await admin.query<{ pid: number }>(`select pid from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())`)).rows[0]!.pid;
      await terminate(lockPid);
      await sleep(200); // git work goes on meanwhile
      return 'done';
    });
    await expect(locked).rejects.toThrow();
    expect(lockPid).toBeGreaterThan(0);
    await expect(withWorkspaceLock(database.db, 'project-x', async () => 'again')).resolves.toBe('again');
  });

  it('reports a dropped idle connection', async () => {
    const client = await database.pool.connect();
    const pid = await backendPid(client);
    client.release();
    const before = dropped.length;
    await terminate(pid);
    await sleep(200);
    expect(dropped.length).toBeGreaterThan(before);
  });

  it('gives back a connection that drops as its transaction begins, so the pool never runs dry', async () => {
    // One connection, dropped by Postgres while idle but before the pool has read the news: the next transaction
    // takes it, and its `begin` fails. A pool that lost it would answer nothing more.
    const single = connectDatabase(testDb.url, { max: 1 });
    try {
      const client = await single.pool.connect();
      const pid = await backendPid(client);
      client.release();
      const socket = (client as unknown as { connection: { stream: { pause(): void; resume(): void } } }).connection.stream;
      socket.pause();
      await terminate(pid);
      const begun = single.db.transaction(async (tx) => tx.execute(sql`select 1`));
      setImmediate(() => socket.resume());
      await expect(begun).rejects.toThrow();
      await expect(single.db.transaction(async (tx) => (await tx.execute<{ one: number }>(sql`select 1 as one`)).rows[0]!.one)).resolves.toBe(1);
    } finally {
      await single.close();
    }
  });
});

