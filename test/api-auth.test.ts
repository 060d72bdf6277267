import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildApp } from '../api/app.js';
import { insertRequestConversation } from '../db/queries/conversation-views.js';
import { advisorMemory, agentSessions, deploys, monitorFindings } from '../db/schema.js';
import { bearer, TEST_ADMIN_TOKEN, testAppDeps } from './helpers/api-auth.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { connectTestClient } from './helpers/temporal.js';
import { removeStateFolder } from '../runtime/workspace/project-disk.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** One route of the API, called on project B's resources; `admin` routes refuse every project token. */
type Route = { method: Method; pattern: string; url: () => string; body?: object; admin?: boolean; streams?: boolean };

describe('API auth: admin token, project tokens, one project never reaching another', () => {
  let database: TestDatabase;
  let temporal: Awaited<ReturnType<typeof connectTestClient>>;
  let home: string;
  let app: FastifyInstance;
  const ids = { a: '', b: '', conversationB: '', sessionB: '', deployB: '', memoryB: '', findingB: '' };
  const tokens = { a: '', b: '' };
  const started: string[] = [];

  const call = (method: Method, url: string, token?: string, payload?: object) =>
    app.inject({ method, url, ...(token ? { headers: bearer(token) } : {}), ...(payload ? { payload } : {}) });

  async function createProject(name: string) {
    const res = await call('POST', '/api/projects', TEST_ADMIN_TOKEN, { name, repoUrl: `https://x.test/${name}.git` });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  }
  async function issueToken(projectId: string) {
    const res = await call('POST', `/api/projects/${projectId}/tokens`, TEST_ADMIN_TOKEN);
    expect(res.statusCode).toBe(201);
    return res.json().token as string;
  }

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    temporal = await connectTestClient();
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-auth-'));
    // Every route is tried with wrong tokens from one address: far more than the per-address limit allows.
    app = buildApp(testAppDeps(database, temporal, { home, http: { wrongTokenLimitPerMinute: 1_000_000 } }));
    ids.a = await createProject('alpha');
    ids.b = await createProject('bravo');
    tokens.a = await issueToken(ids.a);
    tokens.b = await issueToken(ids.b);
    ids.conversationB = randomUUID();
    await insertRequestConversation(database.db, {
      id: ids.conversationB,
      projectId: ids.b,
      workflowId: `request-${ids.b}-${ids.conversationB}`,
      requestText: 'Secret plans of bravo',
      firstMessage: { id: randomUUID(), role: 'founder', content: 'Secret plans of bravo', timestamp: new Date().toISOString() },
    });
    const [session] = await database.db
      .insert(agentSessions)
      .values({ projectId: ids.b, appName: 'bravo', appPath: '.', task: 't', conversationId: ids.conversationB })
      .returning();
    ids.sessionB = session!.id;
    const [deploy] = await database.db.insert(deploys).values({ projectId: ids.b, kind: 'command', commit: 'abc123' }).returning();
    ids.deployB = deploy!.id;
    const [memory] = await database.db.insert(advisorMemory).values({ projectId: ids.b, category: 'decision', key: 'pricing', value: 'Keep it free' }).returning();
    ids.memoryB = memory!.id;
    const [finding] = await database.db
      .insert(monitorFindings)
      .values({ projectId: ids.b, kind: 'deploy_failed', fingerprint: 'deploy_failed:x', summary: 'The last deploy failed' })
      .returning();
    ids.findingB = finding!.id;
  });
  afterAll(async () => {
    for (const id of started) await temporal.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    await app?.close();
    await temporal?.connection.close();
    await database?.drop();
    await removeStateFolder(home);
  });

  const conv = (action: string) => `/api/conversations/${ids.conversationB}/${action}`;
  /** Every route behind a bearer token. The coverage test below fails when a route is missing here. */
  const ROUTES: Route[] = [
    { method: 'GET', pattern: '/api/projects', url: () => '/api/projects' },
    { method: 'POST', pattern: '/api/projects', url: () => '/api/projects', body: { name: 'charlie', repoUrl: 'https://x.test/c.git' }, admin: true },
    { method: 'GET', pattern: '/api/projects/:projectId', url: () => `/api/projects/${ids.b}` },
    { method: 'PATCH', pattern: '/api/projects/:projectId', url: () => `/api/projects/${ids.b}`, body: { timezone: 'Europe/Paris' } },
    { method: 'GET', pattern: '/api/projects/:projectId/conversations', url: () => `/api/projects/${ids.b}/conversations` },
    { method: 'GET', pattern: '/api/projects/:projectId/memory', url: () => `/api/projects/${ids.b}/memory` },
    { method: 'PATCH', pattern: '/api/projects/:projectId/memory/:memoryId', url: () => `/api/projects/${ids.b}/memory/${ids.memoryB}`, body: { value: 'Keep it cheap' } },
    { method: 'DELETE', pattern: '/api/projects/:projectId/memory/:memoryId', url: () => `/api/projects/${ids.b}/memory/${ids.memoryB}` },
    { method: 'GET', pattern: '/api/projects/:projectId/tree', url: () => `/api/projects/${ids.b}/tree` },
    { method: 'GET', pattern: '/api/projects/:projectId/tree/*', url: () => `/api/projects/${ids.b}/tree/README.md` },
    { method: 'POST', pattern: '/api/stream/tickets', url: () => '/api/stream/tickets' },
    { method: 'DELETE', pattern: '/api/projects/:projectId', url: () => `/api/projects/${ids.b}`, admin: true },
    { method: 'GET', pattern: '/api/projects/:projectId/findings', url: () => `/api/projects/${ids.b}/findings` },
    { method: 'POST', pattern: '/api/projects/:projectId/findings/:findingId/dismiss', url: () => `/api/projects/${ids.b}/findings/${ids.findingB}/dismiss` },
    { method: 'POST', pattern: '/api/projects/:projectId/findings/:findingId/act', url: () => `/api/projects/${ids.b}/findings/${ids.findingB}/act` },
    { method: 'GET', pattern: '/api/projects/:projectId/notifications', url: () => `/api/projects/${ids.b}/notifications` },
    { method: 'POST', pattern: '/api/projects/:projectId/notifications/read', url: () => `/api/projects/${ids.b}/notifications/read`, body: { all: true } },
    { method: 'POST', pattern: '/api/projects/:projectId/visits', url: () => `/api/projects/${ids.b}/visits` },
    { method: 'POST', pattern: '/api/projects/:projectId/events', url: () => `/api/projects/${ids.b}/events`, body: { events: [{ id: 'auth-1', name: 'signup', occurredAt: new Date().toISOString() }] } },
    { method: 'PUT', pattern: '/api/projects/:projectId/secrets/:name', url: () => `/api/projects/${ids.b}/secrets/git_token`, body: { value: 'ghp_not_really_a_token' } },
    { method: 'GET', pattern: '/api/projects/:projectId/usage', url: () => `/api/projects/${ids.b}/usage` },
    { method: 'POST', pattern: '/api/projects/:projectId/tokens', url: () => `/api/projects/${ids.b}/tokens`, admin: true },
    { method: 'DELETE', pattern: '/api/projects/:projectId/tokens', url: () => `/api/projects/${ids.b}/tokens`, admin: true },
    { method: 'POST', pattern: '/api/projects/:projectId/requests', url: () => `/api/projects/${ids.b}/requests`, body: { text: 'Add a page' } },
    { method: 'GET', pattern: '/api/projects/:projectId/deploys', url: () => `/api/projects/${ids.b}/deploys` },
    { method: 'POST', pattern: '/api/projects/:projectId/deploys/:deployId/redeploy', url: () => `/api/projects/${ids.b}/deploys/${ids.deployB}/redeploy` },
    { method: 'GET', pattern: '/api/conversations/:id', url: () => `/api/conversations/${ids.conversationB}` },
    { method: 'GET', pattern: '/api/conversations/:id/events', url: () => conv('events') },
    { method: 'GET', pattern: '/api/conversations/:id/stream', url: () => conv('stream'), streams: true },
    { method: 'POST', pattern: '/api/conversations/:id/message', url: () => conv('message'), body: { text: 'hi' } },
    { method: 'POST', pattern: '/api/conversations/:id/confirm', url: () => conv('confirm'), body: { planVersion: 1 } },
    { method: 'POST', pattern: '/api/conversations/:id/decline', url: () => conv('decline') },
    { method: 'POST', pattern: '/api/conversations/:id/budget', url: () => conv('budget'), body: { amountUsd: 1 } },
    { method: 'POST', pattern: '/api/conversations/:id/revise', url: () => conv('revise'), body: { text: 'smaller' } },
    { method: 'POST', pattern: '/api/conversations/:id/stop', url: () => conv('stop') },
    { method: 'GET', pattern: '/api/sessions/:id/files', url: () => `/api/sessions/${ids.sessionB}/files` },
    { method: 'GET', pattern: '/api/sessions/:id/files/*', url: () => `/api/sessions/${ids.sessionB}/files/README.md` },
  ];
  const name = (r: Route) => `${r.method} ${r.pattern}`;
  // Routes about the caller rather than a project: a project token gets its own share, never a 403.
  const callerRoutes = new Set(['/api/projects', '/api/stream/tickets']);
  const projectRoutes = ROUTES.filter((r) => !r.admin && !callerRoutes.has(r.pattern));

  it('covers every bearer route of the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{\*\}$/, '*').replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const bearerRoutes = documented.filter((r) => r.split(' ')[1]!.startsWith('/api/') && !r.includes('/api/webhooks/'));
    expect(bearerRoutes.sort()).toEqual(ROUTES.map(name).sort());
  });

  it.each(ROUTES.map((r) => [name(r), r] as const))('%s: 401 without a token and with a bad one', async (_n, route) => {
    const none = await call(route.method, route.url(), undefined, route.body);
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String), field: 'authorization' } });
    for (const bad of ['vibn_00000000_forged', `${tokens.b}x`, TEST_ADMIN_TOKEN.slice(0, -1)]) {
      const res = await call(route.method, route.url(), bad, route.body);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: { code: 'invalid_token', message: expect.any(String), field: 'authorization' } });
    }
    const basic = await app.inject({ method: route.method, url: route.url(), headers: { authorization: `Basic ${TEST_ADMIN_TOKEN}` } });
    expect(basic.statusCode).toBe(401);
  });

  it.each(projectRoutes.map((r) => [name(r), r] as const))("%s: project A's token gets 403 on project B's resource", async (_n, route) => {
    const res = await call(route.method, route.url(), tokens.a, route.body);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: { code: 'forbidden', message: expect.any(String) } });
  });

  // A stream the token may read stays open, so injecting it would never return; its refusals are tested above.
  it.each(projectRoutes.filter((r) => !r.streams).map((r) => [name(r), r] as const))("%s: project B's own token passes auth", async (_n, route) => {
    const res = await call(route.method, route.url(), tokens.b, route.body);
    if (res.statusCode === 202 && res.json().workflowId) started.push(res.json().workflowId);
    expect([401, 403]).not.toContain(res.statusCode);
  });

  it.each(ROUTES.filter((r) => r.admin).map((r) => [name(r), r] as const))('%s: admin only, 403 for any project token', async (_n, route) => {
    for (const token of [tokens.a, tokens.b]) {
      const res = await call(route.method, route.url(), token, route.body);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ error: { code: 'admin_only', message: expect.any(String) } });
    }
  });

  it('lists only its own project for a project token, every project for the admin', async () => {
    const own = (await call('GET', '/api/projects', tokens.a)).json().projects;
    expect(own.map((p: { id: string }) => p.id)).toEqual([ids.a]);
    const all = (await call('GET', '/api/projects', TEST_ADMIN_TOKEN)).json().projects;
    expect(all.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining([ids.a, ids.b]));
  });

  it('shows a token once, stores only its hash, and revokes it on reissue and on delete', async () => {
    const id = await createProject('delta');
    const first = await issueToken(id);
    expect(first).toMatch(new RegExp(`^vibn_${id.replace(/-/g, '').slice(0, 8)}_[A-Za-z0-9_-]{43}$`));
    const { rows } = await database.pool.query('select token_hash from projects where id = $1', [id]);
    expect(rows[0].token_hash).toBe(createHash('sha256').update(first).digest('hex'));
    expect(JSON.stringify((await call('GET', `/api/projects/${id}`, first)).json())).not.toContain(rows[0].token_hash);

    const second = await issueToken(id);
    expect((await call('GET', `/api/projects/${id}`, first)).statusCode).toBe(401);
    expect((await call('GET', `/api/projects/${id}`, second)).statusCode).toBe(200);
    expect((await call('DELETE', `/api/projects/${id}/tokens`, TEST_ADMIN_TOKEN)).statusCode).toBe(204);
    expect((await call('GET', `/api/projects/${id}`, second)).statusCode).toBe(401);
    expect((await call('POST', `/api/projects/${randomUUID()}/tokens`, TEST_ADMIN_TOKEN)).statusCode).toBe(404);
  });

  it('asks the WebSocket stream for a bearer token too', async () => {
    expect((await call('GET', '/api/stream')).statusCode).toBe(401);
  });

  it('keeps /health public and the Gitea webhook on its HMAC, with no bearer token', async () => {
    expect([200, 503]).toContain((await app.inject({ method: 'GET', url: '/health' })).statusCode);
    const hook = await app.inject({
      method: 'POST',
      url: `/api/webhooks/gitea/${ids.b}`,
      headers: { 'content-type': 'application/json', 'x-gitea-event': 'push', 'x-gitea-delivery': 'd1' },
      payload: '{}',
    });
    // Reached the route: refused for its missing webhook secret, not for a missing bearer token.
    expect(hook.json().error.code).toBe('webhook_not_configured');
  });
});
