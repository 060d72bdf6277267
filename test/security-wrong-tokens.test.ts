/**
 * Issue 15, "wrong tokens count": wrong bearer tokens and forged tickets count against the caller's address;
 * past WRONG_TOKEN_LIMIT_PER_MINUTE (20 by default) its next guesses get 429 with Retry-After, without a
 * database lookup, while its valid tokens keep working and other addresses are not touched. A console's own
 * retries (a used or expired ticket) never count. Real HTTP on loopback; each 127.0.0.x source address
 * stands for another client.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildApp } from '../api/app.js';
import { hashToken, newProjectToken } from '../api/auth.js';
import { ticketIssuer } from '../api/tickets.js';
import { setProjectTokenHash } from '../db/queries/projects.js';
import { loadConfig } from '../lib/config.js';
import { bearer, TEST_ADMIN_TOKEN, testAppDeps } from './helpers/api-auth.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { call, openSocket, RecordingSocket } from './helpers/sockets.js';
import { connectTestClient } from './helpers/temporal.js';

const LIMIT = loadConfig({}).http.wrongTokenLimitPerMinute;

describe('wrong tokens count against their address', () => {
  let database: TestDatabase;
  let temporal: Awaited<ReturnType<typeof connectTestClient>>;
  const apps: FastifyInstance[] = [];
  let url = '';
  let projectId = '';
  let projectToken = '';
  const sockets: RecordingSocket[] = [];

  /** A guess shaped like a real project token. */
  const guess = () => `vibn_${projectId.replace(/-/g, '').slice(0, 8)}_${randomBytes(32).toString('base64url')}`;
  const projects = (from: string, token?: string, base = url) => call(`${base}/api/projects`, { localAddress: from, headers: token ? bearer(token) : {} });
  const ticketFor = async (token: string) => {
    const res = await call(`${url}/api/stream/tickets`, { method: 'POST', headers: bearer(token) });
    expect(res.status).toBe(201);
    return (JSON.parse(res.body) as { ticket: string }).ticket;
  };
  /** Sends `count` wrong tokens from `from`, each answered 401 invalid_token. */
  async function spend(from: string, count: number, base = url) {
    for (let i = 0; i < count; i++) {
      const res = await projects(from, guess(), base);
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'invalid_token' } });
    }
  }
  const expectLimited = (answer: RecordingSocket | { status: number; body: string; headers?: Record<string, unknown>; retryAfter?: string }) => {
    if (answer instanceof RecordingSocket) throw new Error('the upgrade was accepted');
    const res = answer;
    expect(res.status).toBe(429);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'rate_limited', message: expect.stringMatching(/wrong tokens/) } });
    const wait = Number(res.retryAfter ?? res.headers?.['retry-after']);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
  };

  async function startApp(http?: { wrongTokenLimitPerMinute: number }) {
    const app = buildApp(testAppDeps(database, temporal, http ? { http } : {}));
    apps.push(app);
    return app.listen({ host: '127.0.0.1', port: 0 });
  }

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    temporal = await connectTestClient();
    url = await startApp();
    const created = await fetch(`${url}/api/projects`, {
      method: 'POST',
      headers: { ...bearer(TEST_ADMIN_TOKEN), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'wrong-tokens', repoUrl: 'https://x.test/wrong-tokens.git' }),
    });
    projectId = ((await created.json()) as { id: string }).id;
    projectToken = ((await (await fetch(`${url}/api/projects/${projectId}/tokens`, { method: 'POST', headers: bearer(TEST_ADMIN_TOKEN) })).json()) as { token: string }).token;
  });
  afterAll(async () => {
    await Promise.all(sockets.splice(0).map((s) => s.close()));
    for (const app of apps) await app.close();
    await temporal?.connection.close();
    await database?.drop();
  });

  it(`answers ${LIMIT} wrong tokens with 401, the next ones with 429 and Retry-After, while valid tokens from that address work`, async () => {
    expect(LIMIT).toBe(20);
    const from = '127.0.0.2';
    await spend(from, LIMIT);
    expectLimited(await projects(from, guess()));
    // A guess at an upgrade is refused before the socket opens, as is a forged ticket.
    expectLimited(await openSocket(`${url}/api/stream`, bearer(guess()), from));
    expectLimited(await openSocket(`${url}/api/stream?ticket=${encodeURIComponent(`${'e'.repeat(40)}.${'x'.repeat(43)}`)}`, {}, from));
    // Valid credentials from the same address: the admin token, the project's token, a genuine ticket.
    expect((await projects(from, TEST_ADMIN_TOKEN)).status).toBe(200);
    expect((await projects(from, projectToken)).status).toBe(200);
    const socket = await openSocket(`${url}/api/stream?ticket=${await ticketFor(projectToken)}`, {}, from);
    expect(socket).toBeInstanceOf(RecordingSocket);
    sockets.push(socket as RecordingSocket);
    // Another address is not held back.
    await spend('127.0.0.3', 1);
    expect((await projects('127.0.0.3')).status).toBe(401);
  });

  it('answers a blocked address’s unknown tokens without looking them up; a token valid here lately is still looked up', async () => {
    const from = '127.0.0.4';
    await spend(from, LIMIT);
    // A valid token this process has not seen (issued elsewhere, e.g. by another API process) is not looked
    // up from a blocked address: 429, as for any guess, until the window ends...
    const elsewhere = newProjectToken(projectId);
    await setProjectTokenHash(database.db, projectId, hashToken(elsewhere));
    expectLimited(await projects(from, elsewhere));
    // ...or until it has been valid here: from another address it is, and then it works from this one too.
    expect((await projects('127.0.0.5', elsewhere)).status).toBe(200);
    expect((await projects(from, elsewhere)).status).toBe(200);
    // Being known gives nothing once revoked: the lookup still decides.
    await setProjectTokenHash(database.db, projectId, hashToken(projectToken));
    expect((await projects('127.0.0.5', elsewhere)).status).toBe(401);
    expectLimited(await projects(from, elsewhere));
  });

  it('never counts a console’s own retries: used and expired tickets, and a new token after a revoked one', async () => {
    const from = '127.0.0.6';
    const used = await ticketFor(projectToken);
    const first = await openSocket(`${url}/api/stream?ticket=${used}`, {}, from);
    expect(first).toBeInstanceOf(RecordingSocket);
    sockets.push(first as RecordingSocket);
    const expired = ticketIssuer(database.db, TEST_ADMIN_TOKEN, { now: () => Date.now() - 120_000 }).issue({ kind: 'admin' }).ticket;
    for (let i = 0; i < LIMIT * 2; i++) {
      for (const ticket of [used, expired]) {
        const res = await openSocket(`${url}/api/stream?ticket=${encodeURIComponent(ticket)}`, {}, from);
        expect(res).toMatchObject({ status: 401 });
        expect(JSON.parse((res as { body: string }).body)).toMatchObject({ error: { code: 'invalid_ticket' } });
      }
    }
    // A console still holding a revoked token retries with it until it signs out; the new token works at once.
    const revoked = ((await (await fetch(`${url}/api/projects/${projectId}/tokens`, { method: 'POST', headers: bearer(TEST_ADMIN_TOKEN) })).json()) as { token: string }).token;
    const current = ((await (await fetch(`${url}/api/projects/${projectId}/tokens`, { method: 'POST', headers: bearer(TEST_ADMIN_TOKEN) })).json()) as { token: string }).token;
    projectToken = current;
    for (let i = 0; i < LIMIT; i++) expect((await projects(from, revoked)).status).toBe(401);
    expectLimited(await projects(from, revoked));
    expect((await projects(from, current)).status).toBe(200);
  });

  it('takes its limit from WRONG_TOKEN_LIMIT_PER_MINUTE', async () => {
    const config = loadConfig({ WRONG_TOKEN_LIMIT_PER_MINUTE: '3' });
    expect(config.http.wrongTokenLimitPerMinute).toBe(3);
    const strict = await startApp(config.http);
    await spend('127.0.0.7', 3, strict);
    expectLimited(await projects('127.0.0.7', guess(), strict));
    expect(() => loadConfig({ WRONG_TOKEN_LIMIT_PER_MINUTE: '0' })).toThrow(/WRONG_TOKEN_LIMIT_PER_MINUTE/);
  });
});
