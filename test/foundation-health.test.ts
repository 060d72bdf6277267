import { Connection } from '@temporalio/client';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildApp } from '../api/app.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { freePort } from './helpers/ports.js';

const logger = pino({ level: 'silent' });

describe('GET /health', () => {
  let database: TestDatabase;
  let temporal: Connection;

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    temporal = await Connection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => {
    await temporal?.close();
    await database?.drop();
  });

  it('answers 200 over real HTTP when Postgres and Temporal both answer', async () => {
    const app = buildApp({ pool: database.pool, temporal, logger });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${address}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', postgres: { ok: true }, temporal: { ok: true } });
    } finally {
      await app.close();
    }
  });

  it('answers 503 naming Temporal when nothing listens at its address', async () => {
    const down = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
    const app = buildApp({ pool: database.pool, temporal: down, logger });
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
    const app = buildApp({ pool, temporal, logger });
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(503);
    expect(res.json().postgres.ok).toBe(false);
    expect(res.json().postgres.error).toMatch(/ECONNREFUSED|connect/i);
    expect(res.json().temporal).toEqual({ ok: true });
    await app.close();
    await pool.end();
  });

  it('answers unknown routes with the one error shape', async () => {
    const app = buildApp({ pool: database.pool, temporal, logger });
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: 'No route for GET /nope' } });
    await app.close();
  });
});
