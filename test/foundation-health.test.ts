import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildApp, type AppDeps } from '../api/app.js';
import { loadConfig } from '../lib/config.js';
import { TEST_ADMIN_TOKEN } from './helpers/api-auth.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { productLogger } from './helpers/logs.js';
import { freePort } from './helpers/ports.js';

const { logger } = productLogger('api');

describe('GET /health', () => {
  let database: TestDatabase;
  let temporal: Connection;

  /** The app's deps on this file's database and Temporal, with the probed pieces swapped in. */
  const deps = (over: Partial<Pick<AppDeps, 'pool' | 'temporal' | 'bwrapPath' | 'unsandboxed'>> = {}): AppDeps => {
    const connection = over.temporal ?? temporal;
    return {
      pool: over.pool ?? database.pool,
      db: database.db,
      temporal: connection,
      client: new Client({ connection, namespace: inject('temporalNamespace') }),
      taskQueue: 'health-test',
      requestSettings: loadConfig({}).requests,
      logger,
      adminToken: TEST_ADMIN_TOKEN,
      bwrapPath: over.bwrapPath,
      unsandboxed: over.unsandboxed,
    };
  };

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    temporal = await Connection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => {
    await temporal?.close();
    await database?.drop();
  });

  it('answers 200 over real HTTP when Postgres and Temporal both answer', async () => {
    const app = buildApp(deps());
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${address}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', postgres: { ok: true }, temporal: { ok: true }, sandbox: { ok: true } });
    } finally {
      await app.close();
    }
  });

  it('names the missing sandbox and its package, and stays 200: everything else works', async () => {
    const app = buildApp(deps({ bwrapPath: '/nonexistent/bwrap' }));
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json().sandbox).toEqual({ ok: false, reason: expect.stringContaining('/nonexistent/bwrap'), package: 'bubblewrap', fix: 'apt-get install -y bubblewrap' });
    await app.close();
    const off = buildApp(deps({ bwrapPath: '/nonexistent/bwrap', unsandboxed: true }));
    expect((await off.inject({ method: 'GET', url: '/health' })).json().sandbox).toEqual({ ok: true, unsandboxed: true });
    await off.close();
  });

  it('answers 503 naming Temporal when nothing listens at its address', async () => {
    const down = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
    const app = buildApp(deps({ temporal: down }));
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(503);
    const body = res.json();
    expect(body.status).toBe('unavailable');
    expect(body.postgres).toEqual({ ok: true });
    expect(body.temporal.ok).toBe(false);
    expect(body.temporal.error).toMatch(/\w/);
    await app.close();
  });

  it('answers 503 naming Postgres when the database refuses connections', async () => {
    const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/none`, connectionTimeoutMillis: 500 });
    const app = buildApp(deps({ pool }));
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(503);
    expect(res.json().postgres.ok).toBe(false);
    expect(res.json().postgres.error).toMatch(/ECONNREFUSED|connect/i);
    expect(res.json().temporal).toEqual({ ok: true });
    await app.close();
    await pool.end();
  });

  it('answers unknown routes with the one error shape', async () => {
    const app = buildApp(deps());
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: 'No route for GET /nope' } });
    await app.close();
  });
});
