import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildApp, type AppDeps } from '../api/app.js';
import { insertRequestConversation } from '../db/queries/conversation-views.js';
import { bearer, TEST_ADMIN_TOKEN, testAppDeps } from './helpers/api-auth.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { connectTestClient } from './helpers/temporal.js';

const ORIGIN = 'https://console.example';

describe('API hardening: request ids, CORS, rate limits, OpenAPI, Temporal UI links', () => {
  let database: TestDatabase;
  let temporal: Awaited<ReturnType<typeof connectTestClient>>;
  const apps: FastifyInstance[] = [];

  const make = (over: Partial<AppDeps> = {}) => {
    const app = buildApp(testAppDeps(database, temporal, over));
    apps.push(app);
    return app;
  };
  const admin = bearer(TEST_ADMIN_TOKEN);

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    temporal = await connectTestClient();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await temporal?.connection.close();
    await database?.drop();
  });

  it("echoes the caller's x-request-id when it is plain, and makes one otherwise", async () => {
    const app = make();
    const given = await app.inject({ method: 'GET', url: '/api/projects', headers: { ...admin, 'x-request-id': 'trace-42.a' } });
    expect(given.headers['x-request-id']).toBe('trace-42.a');
    const made = await app.inject({ method: 'GET', url: '/api/projects', headers: admin });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const odd = await app.inject({ method: 'GET', url: '/api/projects', headers: { ...admin, 'x-request-id': 'a b\u00e9'.repeat(3) } });
    expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    // Refusals carry it too, so a founder's failed call can be found in the logs.
    const refused = await app.inject({ method: 'GET', url: '/api/projects', headers: { 'x-request-id': 'no-token-1' } });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['x-request-id']).toBe('no-token-1');
  });

  it('answers CORS only for configured origins, on refusals too, and sends none by default', async () => {
    const app = make({ http: { corsOrigins: [ORIGIN] } });
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/projects',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('authorization');

    const refused = await app.inject({ method: 'GET', url: '/api/projects', headers: { origin: ORIGIN } });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(ORIGIN);

    const stranger = await app.inject({ method: 'GET', url: '/api/projects', headers: { ...admin, origin: 'https://evil.example' } });
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
    const sameOriginOnly = await make().inject({ method: 'GET', url: '/api/projects', headers: { ...admin, origin: ORIGIN } });
    expect(sameOriginOnly.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('limits requests per token with a 429 in the one error shape, never /health', async () => {
    const app = make({ http: { rateLimitPerMinute: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await app.inject({ method: 'GET', url: '/api/projects', headers: admin })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await app.inject({ method: 'GET', url: '/api/projects', headers: admin });
    expect(limited.json()).toEqual({ error: { code: 'rate_limited', message: expect.stringContaining('at most 3 a minute') } });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

    // Another caller has its own allowance.
    const created = await app.inject({ method: 'POST', url: '/api/projects', headers: bearer(TEST_ADMIN_TOKEN), payload: { name: 'x', repoUrl: '/srv/x.git' } });
    expect(created.statusCode).toBe(429);
    const other = make({ http: { rateLimitPerMinute: 3 } });
    expect((await other.inject({ method: 'POST', url: '/api/projects', headers: admin, payload: { name: 'rl', repoUrl: '/srv/rl.git' } })).statusCode).toBe(201);
    const id = (await other.inject({ method: 'GET', url: '/api/projects', headers: admin })).json().projects[0].id;
    const token = (await other.inject({ method: 'POST', url: `/api/projects/${id}/tokens`, headers: admin })).json().token;
    expect((await other.inject({ method: 'GET', url: '/api/projects', headers: admin })).statusCode).toBe(429);
    expect((await other.inject({ method: 'GET', url: `/api/projects/${id}`, headers: bearer(token) })).statusCode).toBe(200);

    for (let i = 0; i < 5; i++) expect([200, 503]).toContain((await app.inject({ method: 'GET', url: '/health' })).statusCode);
  });

  it('serves an OpenAPI document made from the route schemas at /api/docs/json, and its UI at /api/docs', async () => {
    const app = make();
    const res = await app.inject({ method: 'GET', url: '/api/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    const create = doc.paths['/api/projects'].post;
    expect(create).toMatchObject({ summary: expect.any(String), tags: ['projects'] });
    const body = create.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['name', 'repoUrl']));
    expect(body.properties.name).toMatchObject({ type: 'string', maxLength: 200 });
    expect(doc.paths['/api/conversations/{id}/confirm'].post.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path' }),
      expect.objectContaining({ name: 'idempotency-key', in: 'header', required: false }),
    ]);
    expect(doc.paths['/api/webhooks/gitea/{projectId}'].post.security).toEqual([]);
    // The live stream's routes describe themselves in their own module (api/stream), not checked here.
    const described = Object.entries(doc.paths as Record<string, Record<string, { summary?: string }>>).filter(([p]) => !p.endsWith('/stream'));
    for (const [p, ops] of described) {
      for (const [method, op] of Object.entries(ops)) expect(op.summary, `${method} ${p} has a summary`).toBeTruthy();
    }
    const ui = await app.inject({ method: 'GET', url: '/api/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
  });

  it('keeps zod the judge of input: extra fields of a strict body are still refused', async () => {
    const app = make();
    const id = (await app.inject({ method: 'POST', url: '/api/projects', headers: admin, payload: { name: 'strict', repoUrl: '/srv/s.git' } })).json().id;
    const res = await app.inject({ method: 'PUT', url: `/api/projects/${id}/secrets/git_token`, headers: admin, payload: { value: 'v'.repeat(20), extra: 1 } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
  });

  it("links each conversation to its workflow in the Temporal Web UI", async () => {
    const app = make({ temporalUiUrl: 'https://temporal.example/' });
    const projectId = (await app.inject({ method: 'POST', url: '/api/projects', headers: admin, payload: { name: 'linked', repoUrl: '/srv/l.git' } })).json().id;
    const id = randomUUID();
    const workflowId = `request-${projectId}-${id}`;
    await insertRequestConversation(database.db, {
      id,
      projectId,
      workflowId,
      requestText: 'hi',
      firstMessage: { id: randomUUID(), role: 'founder', content: 'hi', timestamp: new Date().toISOString() },
    });
    const view = (await app.inject({ method: 'GET', url: `/api/conversations/${id}`, headers: admin })).json();
    expect(view.temporalUrl).toBe(`https://temporal.example/namespaces/${inject('temporalNamespace')}/workflows/${workflowId}`);
  });
});
