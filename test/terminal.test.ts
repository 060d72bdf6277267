import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, inject } from 'vitest';
import WebSocket from 'ws';
import { buildApp } from '../api/app.js';
import { CLOSE } from '../api/terminal/protocol.js';
import { createDemoRepository } from '../demo/create-demo-repo.js';
import { bearer, TEST_ADMIN_TOKEN, testAppDeps } from './helpers/api-auth.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually } from './helpers/poll.js';
import { connectTestClient } from './helpers/temporal.js';
import { removeStateFolder } from '../runtime/workspace/project-disk.js';
import { marker, running } from './helpers/processes.js';

type Frame = { type: string; data?: string; cwd?: string; code?: string | number | null; message?: string };

/** A founder's terminal as the console opens it: a real WebSocket keeping every frame it received. */
class TerminalClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(JSON.parse(String(data)) as Frame));
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  /** Everything the shell printed so far. */
  get output() {
    return this.frames.filter((f) => f.type === 'output').map((f) => f.data).join('');
  }

  /** Types a line into the shell. */
  type(line: string) {
    this.ws.send(JSON.stringify({ type: 'input', data: `${line}\r` }));
  }

  /** Waits until the output holds `text`, and returns the output. */
  waitFor(text: string | RegExp, timeoutMs = 20_000) {
    const found = () => (typeof text === 'string' ? this.output.includes(text) : text.test(this.output));
    return eventually(`terminal output ${String(text)}`, async () => (found() ? this.output : undefined), timeoutMs);
  }

  /** Closes from the client side and waits for the server's close. */
  async close() {
    this.ws.close();
    return this.closed;
  }

  waitForFrame(type: string, timeoutMs = 60_000) {
    return eventually(`a ${type} frame`, async () => this.frames.find((f) => f.type === type), timeoutMs);
  }
}

/** Opens the terminal socket; resolves once upgraded, or with the HTTP status the upgrade was refused with. */
function connect(baseUrl: string, projectId: string, token?: string, query = ''): Promise<TerminalClient | { status: number }> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/projects/${projectId}/terminal${query}`, { headers: token ? bearer(token) : {} });
  return new Promise((resolve, reject) => {
    const client = new TerminalClient(ws);
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

/** Opens a terminal and waits for its shell. */
async function openShell(baseUrl: string, projectId: string, token = TEST_ADMIN_TOKEN) {
  const client = await connect(baseUrl, projectId, token);
  if (!(client instanceof TerminalClient)) throw new Error(`terminal refused with HTTP ${client.status}`);
  await client.waitForFrame('ready');
  return client;
}



describe('the terminal: a sandboxed shell in the project workspace over WebSocket', () => {
  let database: TestDatabase;
  let temporal: Awaited<ReturnType<typeof connectTestClient>>;
  let home: string;
  const apps: FastifyInstance[] = [];
  const clients: TerminalClient[] = [];
  const ids = { a: '', b: '' };
  const tokens = { a: '', b: '' };

  /** The API on port 0, with the given idle time; returns its base URL. */
  async function startApp(terminalIdleMs?: number) {
    const app = buildApp(testAppDeps(database, temporal, { home, terminalIdleMs }));
    apps.push(app);
    return { app, url: await app.listen({ host: '127.0.0.1', port: 0 }) };
  }
  const track = (c: TerminalClient) => (clients.push(c), c);

  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    temporal = await connectTestClient();
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-terminal-'));
    const remote = await createDemoRepository({ stateDir: home });
    ({ url } = await startApp());
    const app = apps[0]!;
    for (const key of ['a', 'b'] as const) {
      const created = await app.inject({ method: 'POST', url: '/api/projects', headers: bearer(TEST_ADMIN_TOKEN), payload: { name: `terminal-${key}`, repoUrl: remote.remoteUrl } });
      expect(created.statusCode).toBe(201);
      ids[key] = created.json().id;
      const token = await app.inject({ method: 'POST', url: `/api/projects/${ids[key]}/tokens`, headers: bearer(TEST_ADMIN_TOKEN) });
      tokens[key] = token.json().token;
    }
  });
  // Each test starts with no terminal open: the per-project cap counts every open one.
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await temporal?.connection.close();
    await database?.drop();
    await removeStateFolder(home);
  });

  it("runs commands in the project's own terminal worktree, detached at the default branch", async () => {
    const t = track(await openShell(url, ids.a, tokens.a));
    expect(t.frames.find((f) => f.type === 'ready')).toEqual({ type: 'ready', cwd: 'terminals/main' });
    t.type('echo hello-$((40+2))');
    await t.waitFor('hello-42');
    t.type('cat package.json; ls');
    await t.waitFor('"name"');
    await t.waitFor('vibn.json');
    t.type('test "$(git rev-parse HEAD)" = "$(git rev-parse origin/main)" && git status --short && echo at-origin-main');
    await t.waitFor(/^at-origin-main/m);
    // The shell works on a worktree of its own, never in the clone agents' worktrees hang off.
    // Ctrl-C stops the running command, not the shell: the PTY is the shell's controlling terminal.
    t.type('sleep 30');
    await new Promise((r) => setTimeout(r, 300));
    t.ws.send(JSON.stringify({ type: 'input', data: '\x03' }));
    t.type('echo alive-$((2*3))');
    await t.waitFor('alive-6');
    t.type('pwd');
    await t.waitFor(`${home}/workspaces/${ids.a}/terminals/main`);
    await t.close();
  });

  it('runs the shell sandboxed: not root, no host secrets, no network, nothing of the API in its environment', async () => {
    const t = track(await openShell(url, ids.a));
    t.type('echo uid=$(id -u)');
    await t.waitFor('uid=65534');
    t.type('test -e /etc/shadow && echo shadow-visible || echo shadow-hidden');
    await t.waitFor(/^shadow-hidden/m);
    t.type(`test -e ${os.homedir()}/.npm && echo host-home-visible || echo host-home-hidden`);
    await t.waitFor(/^host-home-hidden/m);
    const port = new URL(url).port;
    t.type(`(exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null && echo net-open || echo net-closed`);
    await t.waitFor(/^net-closed/m);
    t.type('env | grep -c -i -E "database|token|anthropic|gemini" ; echo env-checked');
    await t.waitFor(/^0\s+env-checked/m);
    expect(t.output).not.toContain(TEST_ADMIN_TOKEN);
    await t.close();
  });

  it('refuses a missing token (401), another project’s token (403) and an unknown project (404)', async () => {
    expect(await connect(url, ids.a)).toEqual({ status: 401 });
    expect(await connect(url, ids.a, tokens.b)).toEqual({ status: 403 });
    expect(await connect(url, randomUUID(), TEST_ADMIN_TOKEN)).toEqual({ status: 404 });
    expect(await connect(url, 'not-a-uuid', TEST_ADMIN_TOKEN)).toEqual({ status: 400 });
    expect(await connect(url, ids.a, TEST_ADMIN_TOKEN, '?cols=9999')).toEqual({ status: 400 });
  });

  it('ends with the shell, killing what it left running, when the client closes or the shell exits', async () => {
    const t = track(await openShell(url, ids.a));
    const left = marker();
    t.type(`sleep ${left} & echo started-$((1+1))`);
    await t.waitFor('started-2');
    await eventually('the background sleep', async () => (running(left) ? true : undefined));
    t.ws.close();
    await t.closed;
    await eventually('the background sleep killed', async () => (running(left) ? undefined : true), 10_000);

    const u = track(await openShell(url, ids.a));
    const orphan = marker();
    u.type(`sleep ${orphan} & exit 7`);
    expect(await u.waitForFrame('exit')).toEqual({ type: 'exit', code: 7 });
    expect((await u.closed).code).toBe(1000);
    await eventually('the sleep left behind by exit killed', async () => (running(orphan) ? undefined : true), 10_000);
  });

  it('closes a terminal idle for the idle time, and ends every shell when the API closes', async () => {
    const { app, url: idleUrl } = await startApp(1_500);
    const idle = track(await openShell(idleUrl, ids.a));
    const left = marker();
    idle.type(`sleep ${left} &`);
    await eventually('the background sleep', async () => (running(left) ? true : undefined));
    const closed = await idle.closed;
    expect(closed.code).toBe(CLOSE.idle);
    await eventually('the idle shell killed', async () => (running(left) ? undefined : true), 10_000);

    const open = track(await openShell(idleUrl, ids.a));
    const onShutdown = marker();
    open.type(`sleep ${onShutdown} &`);
    await eventually('the background sleep', async () => (running(onShutdown) ? true : undefined));
    apps.splice(apps.indexOf(app), 1);
    await app.close();
    expect(running(onShutdown)).toBe(false);
    await open.closed;
  });

  it('caps the open terminals of a project, and frees the slot when one closes', async () => {
    const three = await Promise.all([0, 1, 2].map(async () => track(await openShell(url, ids.b))));
    const fourth = await connect(url, ids.b, tokens.b);
    if (!(fourth instanceof TerminalClient)) throw new Error('the upgrade itself should succeed');
    expect(await fourth.waitForFrame('error')).toMatchObject({ type: 'error', code: 'too_many_terminals' });
    expect((await fourth.closed).code).toBe(CLOSE.tooMany);
    // Another project is not held back by this one's terminals.
    track(await openShell(url, ids.a));

    await three[0]!.close();
    await eventually('a free slot', async () => {
      const again = await connect(url, ids.b, tokens.b);
      if (!(again instanceof TerminalClient)) return undefined;
      track(again);
      const first = await eventually('a first frame', async () => again.frames[0]);
      return first.type === 'ready' ? true : undefined;
    });
  });

  it('answers a malformed frame with an error frame and keeps the terminal open', async () => {
    const t = track(await openShell(url, ids.a));
    t.ws.send('not json');
    t.ws.send(JSON.stringify({ type: 'resize', cols: 0, rows: 10 }));
    await eventually('two error frames', async () => (t.frames.filter((f) => f.code === 'invalid_frame').length === 2 ? true : undefined));
    t.ws.send(JSON.stringify({ type: 'resize', cols: 120, rows: 40 }));
    t.type('stty size');
    await t.waitFor('40 120');
    await t.close();
  });
});
