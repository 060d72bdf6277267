import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildApp } from '../api/app.js';
import { ticketIssuer } from '../api/tickets.js';
import { advisorMemory } from '../db/schema.js';
import { bearer, TEST_ADMIN_TOKEN, testAppDeps } from './helpers/api-auth.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { createConversation, StreamClient } from './helpers/stream-client.js';
import { connectTestClient } from './helpers/temporal.js';
import { eventually } from './helpers/poll.js';

/** What the web console needs of the API besides requests: tickets, settings, memory, its own files. */
describe('API for the web console', () => {
  let database: TestDatabase;
  let temporal: Awaited<ReturnType<typeof connectTestClient>>;
  let consoleDir: string;
  let app: FastifyInstance;
  let baseUrl: string;
  let projectId = '';
  let projectToken = '';

  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, token = TEST_ADMIN_TOKEN) => {
    const res = await app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: res.body ? res.json() : null };
  };

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    temporal = await connectTestClient();
    consoleDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-console-'));
    await fs.mkdir(path.join(consoleDir, 'assets'));
    await fs.writeFile(path.join(consoleDir, 'index.html'), '<!doctype html><title>VIBN</title><div id="root"></div>');
    await fs.writeFile(path.join(consoleDir, 'assets', 'app-1234.js'), 'console.log("hi")');
    app = buildApp(testAppDeps(database, temporal, { consoleDir }));
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
    projectId = (await call('POST', '/api/projects', { name: 'console', repoUrl: 'https://x.test/console.git' })).body.id;
    projectToken = (await call('POST', `/api/projects/${projectId}/tokens`)).body.token;
  });
  afterAll(async () => {
    await app?.close();
    await temporal?.connection.close();
    await database?.drop();
    await fs.rm(consoleDir, { recursive: true, force: true });
  });

  describe('the console itself', () => {
    it('serves index.html at / and for client-side routes, assets as files', async () => {
      const root = await app.inject({ method: 'GET', url: '/' });
      expect(root.statusCode).toBe(200);
      expect(root.headers['content-type']).toMatch(/text\/html/);
      expect(root.body).toContain('<div id="root">');
      const deep = await app.inject({ method: 'GET', url: `/projects/${projectId}/conversations/abc` });
      expect(deep.statusCode).toBe(200);
      expect(deep.body).toContain('<div id="root">');
      const asset = await app.inject({ method: 'GET', url: '/assets/app-1234.js' });
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['cache-control']).toContain('immutable');
    });

    it('keeps the API out of the fallback: a missing asset is 404, an unknown /api path still needs a token', async () => {
      expect((await app.inject({ method: 'GET', url: '/assets/missing-999.js' })).statusCode).toBe(404);
      const api = await app.inject({ method: 'GET', url: '/api/nothing-here' });
      expect(api.statusCode).toBe(401);
      const authed = await app.inject({ method: 'GET', url: '/api/nothing-here', headers: bearer(TEST_ADMIN_TOKEN) });
      expect(authed.statusCode).toBe(404);
      expect(authed.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    });
  });

  describe('stream tickets', () => {
    it('lets a browser open the stream with a ticket instead of a header', async () => {
      const conversationId = await createConversation(database.db);
      const { status, body } = await call('POST', '/api/stream/tickets');
      expect(status).toBe(201);
      expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(30_000);
      const client = await StreamClient.open(baseUrl, { ticket: body.ticket });
      await client.subscribe(conversationId);
      await client.close();
    });

    it('refuses a forged, tampered or expired ticket, and a ticket on a route that takes none', async () => {
      const good = (await call('POST', '/api/stream/tickets')).body.ticket as string;
      const forged = ticketIssuer(database.db, 'some-other-admin-token-0123456789').issue({ kind: 'admin' }).ticket;
      const expired = ticketIssuer(database.db, TEST_ADMIN_TOKEN, { now: () => Date.now() - 120_000 }).issue({ kind: 'admin' }).ticket;
      const [body, signature] = good.split('.');
      const tampered = `${Buffer.from(JSON.stringify({ k: 'admin', e: Date.now() + 3_600_000 })).toString('base64url')}.${signature}`;
      for (const ticket of [forged, expired, tampered, `${body}.`, 'x'.repeat(600)]) {
        const res = await app.inject({ method: 'GET', url: `/api/stream?ticket=${encodeURIComponent(ticket)}` });
        expect(res.statusCode).toBe(401);
        expect(res.json().error.code).toBe('invalid_ticket');
      }
      // Tickets open sockets only: a JSON route still asks for the bearer token.
      expect((await app.inject({ method: 'GET', url: `/api/projects?ticket=${encodeURIComponent(good)}` })).statusCode).toBe(401);
    });

    it("gives a project's ticket the project's reach, not more", async () => {
      const other = await createConversation(database.db);
      const ticket = (await call('POST', '/api/stream/tickets', undefined, projectToken)).body.ticket as string;
      const client = await StreamClient.open(baseUrl, { ticket });
      client.send({ type: 'subscribe', conversationId: other, afterSeq: 0 });
      await eventually('the refusal', async () => (client.frames.some((f) => f.type === 'error' && f.code === 'forbidden') ? true : undefined));
      await client.close();
    });
  });

  describe('project settings', () => {
    it('changes repo, deploy, timezone, briefing time, budget and network, and shows them back', async () => {
      const patch = {
        repoUrl: 'https://203.0.113.12/console-2.git',
        defaultBranch: 'trunk',
        deploy: { kind: 'webhook', webhookUrl: 'https://203.0.113.21/hook' },
        timezone: 'America/New_York',
        briefingTime: '07:30',
        monthlyBudgetUsd: 25,
      };
      const res = await call('PATCH', `/api/projects/${projectId}`, patch, projectToken);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject(patch);
      expect((await call('GET', `/api/projects/${projectId}`)).body).toMatchObject(patch);
      // A deploy command and the network are the operator's: the admin token sets them.
      const operator = { deploy: { kind: 'command', command: 'echo deployed' }, allowNetwork: true };
      expect((await call('PATCH', `/api/projects/${projectId}`, operator, projectToken)).status).toBe(403);
      expect((await call('PATCH', `/api/projects/${projectId}`, operator)).body).toMatchObject(operator);
      const cleared = await call('PATCH', `/api/projects/${projectId}`, { monthlyBudgetUsd: null });
      expect(cleared.body).toMatchObject({ monthlyBudgetUsd: null, briefingTime: '07:30' });
    });

    it('names the bad field and changes nothing', async () => {
      const before = (await call('GET', `/api/projects/${projectId}`)).body;
      for (const [body, field] of [
        [{ timezone: 'Mars/Olympus' }, 'timezone'],
        [{ briefingTime: '25:00' }, 'briefingTime'],
        [{ monthlyBudgetUsd: -1 }, 'monthlyBudgetUsd'],
        [{ repoUrl: '--upload-pack=evil' }, 'repoUrl'],
        [{ tokenHash: 'x' }, 'body'],
      ] as const) {
        const res = await call('PATCH', `/api/projects/${projectId}`, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error.field).toBe(field);
      }
      expect((await call('PATCH', `/api/projects/${projectId}`, {})).status).toBe(400);
      expect((await call('GET', `/api/projects/${projectId}`)).body).toEqual(before);
      const second = (await call('POST', '/api/projects', { name: 'second', repoUrl: 'https://x.test/2.git' })).body.id;
      expect((await call('PATCH', `/api/projects/${second}`, { name: 'console' })).status).toBe(409);
    });
  });

  describe('memory', () => {
    it('lists, corrects and forgets what Assist remembers, only in its own project', async () => {
      const [kept, forgotten] = await database.db
        .insert(advisorMemory)
        .values([
          { projectId, category: 'preference', key: 'tone', value: 'Friendly, short' },
          { projectId, category: 'decision', key: 'pricing', value: 'Free tier stays' },
        ])
        .returning();
      const listed = (await call('GET', `/api/projects/${projectId}/memory`, undefined, projectToken)).body.memories;
      expect(listed.map((m: { key: string }) => m.key).sort()).toEqual(['pricing', 'tone']);

      const edited = await call('PATCH', `/api/projects/${projectId}/memory/${kept!.id}`, { value: 'Warm and brief', category: 'decision' }, projectToken);
      expect(edited).toMatchObject({ status: 200, body: { id: kept!.id, value: 'Warm and brief', category: 'decision', key: 'tone' } });
      expect((await call('PATCH', `/api/projects/${projectId}/memory/${kept!.id}`, { category: 'gossip' })).body.error.field).toBe('category');
      expect((await call('PATCH', `/api/projects/${projectId}/memory/${kept!.id}`, {})).status).toBe(400);

      expect((await call('DELETE', `/api/projects/${projectId}/memory/${forgotten!.id}`, undefined, projectToken)).status).toBe(204);
      expect((await call('DELETE', `/api/projects/${projectId}/memory/${forgotten!.id}`)).status).toBe(404);
      const { rows } = await database.pool.query('select id from advisor_memory where id = $1', [forgotten!.id]);
      expect(rows).toEqual([]);

      // A memory id of this project under another project's path is not found there.
      const second = (await call('GET', '/api/projects')).body.projects.find((p: { name: string }) => p.name !== 'console')?.id
        ?? (await call('POST', '/api/projects', { name: 'third', repoUrl: 'https://x.test/3.git' })).body.id;
      expect((await call('PATCH', `/api/projects/${second}/memory/${kept!.id}`, { value: 'x' })).status).toBe(404);
    });
  });

  it('lists conversations newest first, only of the project', async () => {
    const res = await call('GET', `/api/projects/${projectId}/conversations?limit=5`);
    expect(res).toEqual({ status: 200, body: { conversations: [] } });
    expect((await call('GET', `/api/projects/${projectId}/conversations?limit=0`)).body.error.field).toBe('limit');
  });
});
