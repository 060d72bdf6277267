/**
 * Property-based fuzzing of every API route the OpenAPI document lists: generated bodies, headers, query
 * strings and path ids, with the admin token, a project's token, a bad token or none. Whatever comes in, the
 * API never answers 5xx, and every 4xx has the one error shape (with the field named for invalid input).
 * Seeded and reproducible: FUZZ_SEED=<n> replays a run, FUZZ_RUNS=<n> changes its size.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildApp } from '../api/app.js';
import { insertRequestConversation } from '../db/queries/conversation-views.js';
import { advisorMemory, agentSessions, deploys } from '../db/schema.js';
import { bearer, TEST_ADMIN_TOKEN, testAppDeps } from './helpers/api-auth.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { connectTestClient } from './helpers/temporal.js';
import { removeStateFolder } from '../runtime/workspace/project-disk.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);

type Route = { method: string; path: string; body?: { properties?: Record<string, unknown> }; query?: { properties?: Record<string, unknown> } };

/** Streams stay open for a caller that may read them, so an injected call would never return. */
const OPEN_ENDED = new Set(['GET /api/conversations/{id}/stream']);

describe('API fuzzing: no input makes the API fail or answer outside its error shape', () => {
  let database: TestDatabase;
  let temporal: Awaited<ReturnType<typeof connectTestClient>>;
  let home: string;
  let app: FastifyInstance;
  let routes: Route[] = [];
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    temporal = await connectTestClient();
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-fuzz-'));
    // No worker polls this task queue: a request the fuzzer manages to start just waits, and is terminated after.
    app = buildApp(testAppDeps(database, temporal, { home, http: { rateLimitPerMinute: 1_000_000 } }));
    const admin = { headers: bearer(TEST_ADMIN_TOKEN) };
    for (const name of ['fuzz-a', 'fuzz-b']) {
      const res = await app.inject({ method: 'POST', url: '/api/projects', payload: { name, repoUrl: `https://x.test/${name}.git` }, ...admin });
      ids[name] = res.json().id;
      tokens[name] = (await app.inject({ method: 'POST', url: `/api/projects/${ids[name]}/tokens`, ...admin })).json().token;
    }
    const projectId = ids['fuzz-a']!;
    ids.conversation = randomUUID();
    await insertRequestConversation(database.db, {
      id: ids.conversation,
      projectId,
      workflowId: `request-${projectId}-${ids.conversation}`,
      requestText: 'fuzz me',
      firstMessage: { id: randomUUID(), role: 'founder', content: 'fuzz me', timestamp: new Date().toISOString() },
    });
    const [session] = await database.db.insert(agentSessions).values({ projectId, appName: 'fuzz', appPath: '.', task: 't', conversationId: ids.conversation }).returning();
    ids.session = session!.id;
    const [deploy] = await database.db.insert(deploys).values({ projectId, kind: 'command', commit: 'abc123' }).returning();
    ids.deploy = deploy!.id;
    const [memory] = await database.db.insert(advisorMemory).values({ projectId, category: 'decision', key: 'pricing', value: 'Free' }).returning();
    ids.memory = memory!.id;

    const doc = (await app.inject({ method: 'GET', url: '/api/docs/json' })).json() as {
      paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Route['body'] }> }; parameters?: Array<{ in: string; name: string }> }>>;
    };
    routes = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops)
        .filter(([m]) => !OPEN_ENDED.has(`${m.toUpperCase()} ${p}`))
        .map(([m, op]) => ({
          method: m.toUpperCase(),
          path: p,
          body: op.requestBody?.content?.['application/json']?.schema,
          query: { properties: Object.fromEntries((op.parameters ?? []).filter((x) => x.in === 'query').map((x) => [x.name, {}])) },
        })),
    );
  });

  afterAll(async () => {
    for await (const run of temporal.client.workflow.list({ query: `TaskQueue = "${temporal.taskQueue}" AND ExecutionStatus = "Running"` })) {
      await temporal.client.workflow.getHandle(run.workflowId).terminate('fuzzing over').catch(() => undefined);
    }
    await app?.close();
    await temporal?.connection.close();
    await database?.drop();
    await removeStateFolder(home);
  });

  /** A value of any shape: the wrong type for whatever field it lands in, often. */
  const anyValue = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme', maxLength: 50 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant('x'.repeat(20_000)),
    fc.uuid(),
    fc.constantFrom('', ' ', '../../etc/passwd', '--upload-pack=touch /tmp/pwned', '<script>alert(1)</script>', '\u0000', '🦄'.repeat(100), 'Europe/Paris', '07:30'),
    fc.jsonValue({ maxDepth: 3 }),
  );

  /** An id for a path segment: a real one of the right kind, another project's, random, malformed or hostile. */
  const idFor = (name: string) =>
    fc.oneof(
      fc.constant(ids[{ projectId: 'fuzz-a', id: 'conversation', deployId: 'deploy', memoryId: 'memory' }[name] ?? 'conversation'] ?? randomUUID()),
      fc.constant(ids['fuzz-b']!),
      fc.constant(ids.session!),
      fc.uuid(),
      fc.string({ maxLength: 40 }),
      fc.constantFrom('%00', '..', '%2e%2e%2f', 'a'.repeat(5_000), 'null', '-1'),
    );

  const bodyFor = (route: Route) => {
    const fields = Object.keys(route.body?.properties ?? {});
    const nearValid = fields.length ? fc.dictionary(fc.constantFrom(...fields), anyValue, { maxKeys: fields.length + 1 }) : fc.constant({});
    return fc.oneof(
      { weight: 4, arbitrary: nearValid },
      { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
      { weight: 1, arbitrary: fc.record({ unknownField: anyValue }) },
      { weight: 1, arbitrary: fc.constant('deep') },
      { weight: 1, arbitrary: fc.constant('huge') },
      { weight: 1, arbitrary: fc.constant('not json {') },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
  };

  const fuzzCase = fc
    .integer({ min: 0, max: 10_000 })
    .chain((pick) => {
      const route = routes[pick % routes.length]!;
      const names = [...route.path.matchAll(/\{(\w+|\*)\}/g)].map((m) => m[1]!);
      return fc.record({
        route: fc.constant(route),
        pathIds: fc.tuple(...names.map((n) => (n === '*' ? fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('README.md', 'a/../../b', '%2F')) : idFor(n)))),
        body: bodyFor(route),
        query: fc.dictionary(fc.constantFrom(...Object.keys(route.query?.properties ?? {}), 'limit', 'after', 'q', 'ticket'), fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String))),
        auth: fc.constantFrom('admin', 'project', 'other', 'bad', 'none'),
        contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', undefined),
        idempotencyKey: fc.option(fc.string({ maxLength: 300 })),
      });
    });

  type FuzzCase = {
    route: Route;
    pathIds: unknown[];
    body: unknown;
    query: Record<string, string>;
    auth: 'admin' | 'project' | 'other' | 'bad' | 'none';
    contentType?: string;
    idempotencyKey: string | null;
  };

  function requestOf(c: FuzzCase): InjectOptions {
    let i = 0;
    const url = c.route.path.replace(/\{(\w+|\*)\}/g, () => {
      const id = String(c.pathIds[i++]);
      // A wildcard keeps its slashes; any other segment is one segment.
      return c.route.path.includes('{*}') && i === c.pathIds.length ? id.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(id);
    });
    const query = new URLSearchParams(c.query).toString();
    const token = { admin: TEST_ADMIN_TOKEN, project: tokens['fuzz-a'], other: tokens['fuzz-b'], bad: 'vibn_00000000_nope', none: undefined }[c.auth];
    let payload: string | undefined;
    if (c.body === 'deep') payload = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    else if (c.body === 'huge') payload = JSON.stringify({ text: 'x'.repeat(1_100_000) });
    else if (c.body === 'not json {') payload = 'not json {';
    else if (c.body !== undefined) payload = JSON.stringify(c.body);
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (c.contentType && payload !== undefined) headers['content-type'] = c.contentType;
    if (c.idempotencyKey) headers['idempotency-key'] = c.idempotencyKey;
    return { method: c.route.method, url: query ? `${url}?${query}` : url, headers, ...(payload !== undefined && c.route.method !== 'GET' ? { payload } : {}) } as InjectOptions;
  }

  it(`answers ${RUNS} generated requests without a 5xx, each error in the one shape (seed ${SEED})`, async () => {
    expect(routes.length).toBeGreaterThan(20);
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fuzzCase, async (c) => {
        const req = requestOf(c);
        const res = await app.inject(req);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        const where = `${req.method} ${String(req.url).slice(0, 200)}`;
        expect(res.statusCode, `${where}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
        if (res.statusCode >= 400) {
          const body = res.json() as { error: { code: string; message: string; field?: string } };
          expect(Object.keys(body), where).toEqual(['error']);
          expect(body.error, where).toEqual({ code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String), ...(body.error.field !== undefined ? { field: expect.any(String) } : {}) });
          if (body.error.code === 'invalid_request') expect(body.error.field, where).toBeTruthy();
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    // The fuzzer must reach the handlers, not only the auth hook: some calls succeed, some are refused as invalid.
    const count = (pred: (s: number) => boolean) => [...statuses].filter(([s]) => pred(s)).reduce((n, [, k]) => n + k, 0);
    expect(count((s) => s < 300)).toBeGreaterThan(RUNS / 50);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(RUNS / 20);
  });
});
