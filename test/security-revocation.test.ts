/**
 * Issue 15, "revocation ends access now": a revoked (or reissued) project token loses its open Terminals and
 * live streams within seconds, in the API process that revoked it and in another one; the shells and what
 * they started are killed; its tickets are refused even within their minute; a ticket opens one socket, in
 * whichever process it is used. Two real API processes on one database: this one in the test (A) and
 * `api/server.ts` as a child (B).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildApp } from '../api/app.js';
import { REVOCATION_CHECK_MS } from '../api/revocation-watch.js';
import { CLOSE } from '../api/terminal/protocol.js';
import { REVOKED_CLOSE_CODE } from '../api/stream/websocket.js';
import { createDemoRepository } from '../demo/create-demo-repo.js';
import { insertRequestConversation } from '../db/queries/conversation-views.js';
import { removeStateFolder } from '../runtime/workspace/project-disk.js';
import { startApiProcess, type ApiProcess } from './helpers/api-process.js';
import { bearer, TEST_ADMIN_TOKEN, testAppDeps } from './helpers/api-auth.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually } from './helpers/poll.js';
import { mustOpen, openSocket, RecordingSocket, SseReader } from './helpers/sockets.js';
import { connectTestClient } from './helpers/temporal.js';
import { marker, running } from './helpers/processes.js';

/** "Within seconds": a check period, and room for a busy machine to close the socket and kill the shell. */
const WITHIN_MS = REVOCATION_CHECK_MS + 8_000;

describe('revocation ends access now', () => {
  let database: TestDatabase;
  let temporal: Awaited<ReturnType<typeof connectTestClient>>;
  let home: string;
  let app: FastifyInstance;
  let a = '';
  let b: ApiProcess;
  let projectId = '';
  let conversationId = '';
  const sockets: RecordingSocket[] = [];
  const readers: SseReader[] = [];

  const admin = (base: string, method: string, url: string) => fetch(`${base}${url}`, { method, headers: bearer(TEST_ADMIN_TOKEN) });
  const issueToken = async (base = a) => ((await (await admin(base, 'POST', `/api/projects/${projectId}/tokens`)).json()) as { token: string }).token;
  const ticket = async (base: string, token: string) => {
    const res = await fetch(`${base}/api/stream/tickets`, { method: 'POST', headers: bearer(token) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { ticket: string }).ticket;
  };
  const terminalUrl = (base: string, query = '') => `${base}/api/projects/${projectId}/terminal${query}`;
  const track = <T extends RecordingSocket | SseReader>(s: T) => (s instanceof RecordingSocket ? sockets.push(s) : readers.push(s), s);

  /** A Terminal whose shell is up and has started a background process named by a fresh marker. */
  async function shellWithChild(url: string, headers: Record<string, string> = {}) {
    const terminal = track(await mustOpen(url, headers));
    await terminal.waitForFrame((f) => f.type === 'ready', 'the shell ready');
    const child = marker();
    terminal.send({ type: 'input', data: `sleep ${child} & echo started-$((20+1))\r` });
    await terminal.waitForOutput('started-21');
    await eventually('the background sleep', async () => (running(child) ? true : undefined));
    return { terminal, child };
  }

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    temporal = await connectTestClient();
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-revocation-'));
    const remote = await createDemoRepository({ stateDir: home });
    app = buildApp(testAppDeps(database, temporal, { home }));
    a = await app.listen({ host: '127.0.0.1', port: 0 });
    b = await startApiProcess({ databaseUrl: database.url, home, adminToken: TEST_ADMIN_TOKEN });
    const created = await fetch(`${a}/api/projects`, {
      method: 'POST',
      headers: { ...bearer(TEST_ADMIN_TOKEN), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'revocation', repoUrl: remote.remoteUrl }),
    });
    expect(created.status).toBe(201);
    projectId = ((await created.json()) as { id: string }).id;
    conversationId = randomUUID();
    await insertRequestConversation(database.db, {
      id: conversationId,
      projectId,
      workflowId: `request-${projectId}-${conversationId}`,
      requestText: 'watch me',
      firstMessage: { id: randomUUID(), role: 'founder', content: 'watch me', timestamp: new Date().toISOString() },
    });
  }, 180_000);
  afterEach(async () => {
    for (const r of readers.splice(0)) r.close();
    await Promise.all(sockets.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await b?.stop();
    await app?.close();
    await temporal?.connection.close();
    await database?.drop();
    if (home) await removeStateFolder(home);
  });

  it('closes every Terminal and stream of a revoked token, here and in the other process, and kills the shells', async () => {
    const token = await issueToken();
    // Opened every way a client can: bearer header or ticket, Terminal, WebSocket stream, SSE, in both processes.
    const here = await shellWithChild(terminalUrl(a), bearer(token));
    const there = await shellWithChild(terminalUrl(b.url, `?ticket=${await ticket(b.url, token)}`));
    const streamHere = track(await mustOpen(`${a}/api/stream?ticket=${await ticket(a, token)}`));
    const streamThere = track(await mustOpen(`${b.url}/api/stream`, bearer(token)));
    for (const s of [streamHere, streamThere]) {
      s.send({ type: 'subscribe', conversationId, afterSeq: 0 });
      await s.waitForFrame((f) => f.type === 'subscribed', 'subscribed');
    }
    const sse = track(new SseReader(`${b.url}/api/conversations/${conversationId}/stream`, bearer(token)));
    expect(await sse.status).toBe(200);
    // The operator's own sockets are not the token's: they stay.
    const operatorStream = track(await mustOpen(`${b.url}/api/stream`, bearer(TEST_ADMIN_TOKEN)));
    const operatorShell = await shellWithChild(terminalUrl(b.url), bearer(TEST_ADMIN_TOKEN));

    const revokedAt = Date.now();
    expect((await admin(a, 'DELETE', `/api/projects/${projectId}/tokens`)).status).toBe(204);

    const closes = await Promise.all([here.terminal.closed, there.terminal.closed, streamHere.closed, streamThere.closed]);
    await sse.ended;
    expect(Date.now() - revokedAt).toBeLessThan(WITHIN_MS);
    for (const closed of closes.slice(0, 2)) expect(closed).toEqual({ code: CLOSE.revoked, reason: 'token_revoked' });
    for (const closed of closes.slice(2)) expect(closed).toEqual({ code: REVOKED_CLOSE_CODE, reason: 'token revoked' });
    for (const t of [here.terminal, there.terminal]) expect(t.frames.find((f) => f.type === 'error')).toMatchObject({ code: 'token_revoked', message: expect.stringMatching(/revoked/) });
    for (const s of [streamHere, streamThere]) expect(s.frames.at(-1)).toMatchObject({ type: 'error', code: 'token_revoked', status: 401 });
    expect(sse.text).toMatch(/event: token_revoked\ndata: \{"error":\{"code":"token_revoked"/);
    await eventually('the shells and their children killed', async () => (running(here.child) || running(there.child) ? undefined : true), WITHIN_MS);

    // The operator's stream and shell are still there and still answer.
    operatorStream.send({ type: 'subscribe', conversationId, afterSeq: 0 });
    await operatorStream.waitForFrame((f) => f.type === 'subscribed', 'the operator still subscribed');
    operatorShell.terminal.send({ type: 'input', data: 'echo still-$((3*3))\r' });
    await operatorShell.terminal.waitForOutput('still-9');
    expect(running(operatorShell.child)).toBe(true);
  });

  it('closes the old token’s sockets when a new token is issued', async () => {
    const old = await issueToken();
    const terminal = await shellWithChild(terminalUrl(b.url), bearer(old));
    const fresh = await issueToken(a);
    expect(await terminal.terminal.closed).toEqual({ code: CLOSE.revoked, reason: 'token_revoked' });
    await eventually('the shell killed', async () => (running(terminal.child) ? undefined : true), WITHIN_MS);
    // The new token opens a Terminal as before.
    const again = await shellWithChild(terminalUrl(b.url), bearer(fresh));
    again.terminal.send({ type: 'input', data: 'echo fresh-$((5+5))\r' });
    await again.terminal.waitForOutput('fresh-10');
  });

  it('lets a ticket open one socket, in whichever process, and none after its token is revoked', async () => {
    const token = await issueToken();
    const refusedTicket = (res: Awaited<ReturnType<typeof openSocket>>) => {
      expect(res).toMatchObject({ status: 401 });
      expect(JSON.parse((res as { body: string }).body)).toMatchObject({ error: { code: 'invalid_ticket', message: expect.stringMatching(/already used|revoked/) } });
    };

    // Used in B, then refused in B and in A, for the stream and the Terminal alike.
    const once = await ticket(a, token);
    track(await mustOpen(`${b.url}/api/stream?ticket=${once}`));
    refusedTicket(await openSocket(`${b.url}/api/stream?ticket=${once}`));
    refusedTicket(await openSocket(`${a}/api/stream?ticket=${once}`));
    const shellTicket = await ticket(b.url, token);
    const shell = track(await mustOpen(terminalUrl(a, `?ticket=${shellTicket}`)));
    await shell.waitForFrame((f) => f.type === 'ready', 'the shell ready');
    refusedTicket(await openSocket(terminalUrl(b.url, `?ticket=${shellTicket}`)));

    // Presented to both processes at the same moment: exactly one socket opens.
    for (let i = 0; i < 5; i++) {
      const raced = await ticket(a, token);
      const results = await Promise.all([openSocket(`${a}/api/stream?ticket=${raced}`), openSocket(`${b.url}/api/stream?ticket=${raced}`)]);
      const opened = results.filter((r): r is RecordingSocket => r instanceof RecordingSocket);
      expect(opened).toHaveLength(1);
      opened.forEach(track);
      refusedTicket(results.find((r) => !(r instanceof RecordingSocket))!);
    }

    // Unused tickets of a revoked token are refused well within their minute, in both processes.
    const spare = [await ticket(a, token), await ticket(b.url, token)];
    expect((await admin(b.url, 'DELETE', `/api/projects/${projectId}/tokens`)).status).toBe(204);
    refusedTicket(await openSocket(`${a}/api/stream?ticket=${spare[0]}`));
    refusedTicket(await openSocket(terminalUrl(b.url, `?ticket=${spare[1]}`)));

    // So are those of a token replaced by a new one; the new token's tickets work.
    const first = await issueToken();
    const beforeReissue = await ticket(a, first);
    const second = await issueToken(b.url);
    refusedTicket(await openSocket(`${a}/api/stream?ticket=${beforeReissue}`));
    track(await mustOpen(`${a}/api/stream?ticket=${await ticket(b.url, second)}`));
  });

  it('keeps the admin token’s tickets working, one socket each', async () => {
    const adminTicket = await ticket(b.url, TEST_ADMIN_TOKEN);
    const stream = track(await mustOpen(`${a}/api/stream?ticket=${adminTicket}`));
    stream.send({ type: 'subscribe', conversationId, afterSeq: 0 });
    await stream.waitForFrame((f) => f.type === 'subscribed', 'subscribed');
    expect(await openSocket(`${b.url}/api/stream?ticket=${adminTicket}`)).toMatchObject({ status: 401 });
  });
});
