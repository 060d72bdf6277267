import { and, count, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildApp } from '../api/app.js';
import { productEvents } from '../db/schema.js';
import { bearer, TEST_ADMIN_TOKEN, testAppDeps } from './helpers/api-auth.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { connectTestClient } from './helpers/temporal.js';

const DAY = 86_400_000;

/** How a product reports what its users did: POST /api/projects/:projectId/events. */
describe('product event ingestion', () => {
  let database: TestDatabase;
  let temporal: Awaited<ReturnType<typeof connectTestClient>>;
  let app: FastifyInstance;
  let projectId = '';
  let projectToken = '';
  let otherToken = '';

  const call = async (method: 'GET' | 'POST', url: string, payload?: object, token: string | null = TEST_ADMIN_TOKEN) => {
    const res = await app.inject({ method, url, headers: token ? bearer(token) : {}, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: res.body ? res.json() : null };
  };
  const send = (events: unknown[], token: string | null = TEST_ADMIN_TOKEN, project = projectId) => call('POST', `/api/projects/${project}/events`, { events }, token);
  const event = (id: string, over: Record<string, unknown> = {}) => ({ id, name: 'signup', userId: `u-${id}`, platform: 'web', occurredAt: new Date(Date.now() - DAY).toISOString(), ...over });
  const stored = async (project = projectId) =>
    (await database.db.select({ n: count() }).from(productEvents).where(eq(productEvents.projectId, project)))[0]!.n;

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    temporal = await connectTestClient();
    app = buildApp(testAppDeps(database, temporal));
    projectId = (await call('POST', '/api/projects', { name: 'acme', repoUrl: 'https://x.test/acme.git' })).body.id;
    projectToken = (await call('POST', `/api/projects/${projectId}/tokens`)).body.token;
    const otherId = (await call('POST', '/api/projects', { name: 'other', repoUrl: 'https://x.test/other.git' })).body.id;
    otherToken = (await call('POST', `/api/projects/${otherId}/tokens`)).body.token;
  });
  afterAll(async () => {
    await app?.close();
    await temporal?.connection.close();
    await database?.drop();
  });

  it('stores a batch once: a resent batch, or an id twice in one batch, counts as duplicates', async () => {
    const batch = [event('a'), event('b', { platform: 'iOS', properties: { plan: 'pro', tags: ['x', 'y'], screen: { w: 390, h: 844 } } }), event('c')];
    expect(await send(batch, projectToken)).toEqual({ status: 202, body: { accepted: 3, duplicates: 0 } });
    expect(await send(batch, projectToken)).toEqual({ status: 202, body: { accepted: 0, duplicates: 3 } });
    expect(await send([event('d'), event('d'), event('a')])).toEqual({ status: 202, body: { accepted: 1, duplicates: 2 } });
    expect(await stored()).toBe(4);
    const [b] = await database.db.select().from(productEvents).where(and(eq(productEvents.projectId, projectId), eq(productEvents.eventId, 'b')));
    expect(b).toMatchObject({ name: 'signup', userId: 'u-b', platform: 'ios', properties: { plan: 'pro', tags: ['x', 'y'], screen: { w: 390, h: 844 } } });
  });

  it("refuses another project's token, a missing token and an unknown project", async () => {
    expect(await send([event('x')], otherToken)).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(await send([event('x')], null)).toMatchObject({ status: 401 });
    expect(await send([event('x')], TEST_ADMIN_TOKEN, '00000000-0000-4000-8000-000000000000')).toMatchObject({ status: 404, body: { error: { code: 'project_not_found' } } });
    expect(await stored()).toBe(4);
  });

  const tooOld = new Date(Date.now() - 2 * 366 * DAY).toISOString();
  const tooLate = new Date(Date.now() + 2 * DAY).toISOString();
  it.each([
    ['events', []],
    ['events', Array.from({ length: 1_001 }, (_, i) => event(`many-${i}`))],
    ['events.0.id', [event('x'.repeat(201))]],
    ['events.0.id', [{ ...event('x'), id: '' }]],
    ['events.0.name', [event('x', { name: 'Sign Up' })]],
    ['events.0.name', [event('x', { name: 'a'.repeat(101) })]],
    ['events.0.userId', [event('x', { userId: 'u'.repeat(201) })]],
    ['events.0.platform', [event('x', { platform: 'a b' })]],
    ['events.0.occurredAt', [event('x', { occurredAt: 'yesterday' })]],
    ['events.0.occurredAt', [event('x', { occurredAt: tooLate })]],
    ['events.0.occurredAt', [event('x', { occurredAt: tooOld })]],
    ['events.0.properties', [event('x', { properties: { blob: 'z'.repeat(1_900), more: 'z'.repeat(1_900), again: 'z'.repeat(1_900), still: 'z'.repeat(1_900), last: 'z'.repeat(1_900) } })]],
    ['events.0.properties.deep', [event('x', { properties: { deep: { deeper: { deepest: 1 } } } })]],
    ['events.1', [event('x'), { ...event('y'), sql: 'drop table' }]],
  ])('answers 400 naming %s for a bad batch', async (field, events) => {
    const res = await send(events as unknown[]);
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', field } } });
  });

  it('takes a full batch of 1,000 events with rich properties, larger than the API-wide body limit', async () => {
    const batch = Array.from({ length: 1_000 }, (_, i) =>
      event(`full-${i}`, { name: i % 10 === 0 ? 'error' : 'page_view', platform: ['web', 'ios', 'android'][i % 3], properties: { path: `/p/${i}`, note: 'n'.repeat(1_500) } }),
    );
    expect(JSON.stringify({ events: batch }).length).toBeGreaterThan(1024 * 1024);
    expect(await send(batch, projectToken)).toEqual({ status: 202, body: { accepted: 1_000, duplicates: 0 } });
    expect(await stored()).toBe(1_004);
  });
});
