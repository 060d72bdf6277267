import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { spawnEntry, stopProcess, waitForHttp } from '../scripts/processes.js';
import { eventually } from './helpers/poll.js';
import { freePort } from './helpers/ports.js';

/** Whether anything accepts TCP connections on a loopback port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function processesMentioning(text: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(text) && !line.includes('ps -eo'));
}

describe('npm start on embedded defaults', () => {
  let home: string;
  let ports: { pg: number; temporal: number; ui: number; api: number; site: number };
  let env: NodeJS.ProcessEnv;
  let running: ChildProcess | undefined;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-home-'));
    await fs.chmod(home, 0o755);
    ports = { pg: await freePort(), temporal: await freePort(), ui: await freePort(), api: await freePort(), site: await freePort() };
    env = {
      ...process.env,
      VIBN_HOME: home,
      VIBN_PG_PORT: String(ports.pg),
      TEMPORAL_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      PORT: String(ports.api),
      VIBN_DEMO_PORT: String(ports.site),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      ...(inject('temporalCliPath') ? { TEMPORAL_CLI_PATH: inject('temporalCliPath') } : {}),
    };
    delete env.DATABASE_URL;
    delete env.TEMPORAL_ADDRESS;
    delete env.VIBN_ADMIN_TOKEN;
  });

  afterAll(async () => {
    if (running) await stopProcess(running, 5_000);
    await fs.rm(home, { recursive: true, force: true });
  });

  const start = async () => {
    running = spawnEntry('scripts/start.ts', env, 'inherit');
    await waitForHttp(`http://127.0.0.1:${ports.api}/health`, 150_000);
    return running;
  };

  const stop = async (child: ChildProcess) => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    const code = await exited;
    running = undefined;
    return code;
  };

  it('brings up API, worker, Temporal with its UI and Postgres; Ctrl-C stops them all; a restart keeps runs', async () => {
    const first = await start();
    const health = await (await fetch(`http://127.0.0.1:${ports.api}/health`)).json();
    expect(health).toEqual({ status: 'ok', postgres: { ok: true }, temporal: { ok: true } });
    const ui = await fetch(`http://127.0.0.1:${ports.ui}/`);
    expect(ui.status).toBe(200);

    // A run made through the worker that npm start runs, to find again after a restart.
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    const client = new Client({ connection });
    const workflowId = `self-test-${path.basename(home)}`;
    const result = await client.workflow.execute('selfTestWorkflow', {
      taskQueue: 'vibn',
      workflowId,
      args: [{ conversationId: '00000000-0000-4000-8000-000000000001', steps: 2, pauseMs: 10 }],
    });
    expect(result).toEqual({ written: [1, 2] });
    await connection.close();

    // The demo project is there with its site live, and the scripted demo request ships to it.
    const api = `http://127.0.0.1:${ports.api}/api`;
    // The first start made an admin token, readable by its owner only; the API refuses calls without it.
    const tokenFile = path.join(home, 'admin-token');
    expect((await fs.stat(tokenFile)).mode & 0o777).toBe(0o600);
    const auth = { authorization: `Bearer ${(await fs.readFile(tokenFile, 'utf8')).trim()}` };
    expect((await fetch(`${api}/projects`)).status).toBe(401);
    const { projects } = await (await fetch(`${api}/projects`, { headers: auth })).json();
    expect(projects).toEqual([expect.objectContaining({ name: 'demo' })]);
    const site = `http://127.0.0.1:${ports.site}`;
    expect(await (await fetch(`${site}/`)).text()).toContain('Acme Notes');
    expect((await fetch(`${site}/referral.html`)).status).toBe(404);
    const post = (url: string, body: unknown) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(body) }).then((r) => r.json());
    const { conversationId } = await post(`${api}/projects/${projects[0].id}/requests`, { text: 'Add a referral program' });
    const conversation = (want: (c: { phase: string; status: string }) => boolean) =>
      eventually('the demo conversation', async () => {
        const c = await (await fetch(`${api}/conversations/${conversationId}`, { headers: auth })).json();
        return want(c) ? c : undefined;
      }, 120_000);
    await conversation((c) => c.phase === 'awaiting_confirmation');
    await post(`${api}/conversations/${conversationId}/confirm`, { planVersion: 1 });
    expect(await conversation((c) => c.status !== 'running')).toMatchObject({ status: 'completed', outcome: 'tasked' });
    expect(await (await fetch(`${site}/referral.html`)).text()).toContain('Give a month, get a month');

    expect(await stop(first)).toBe(0);
    for (const port of Object.values(ports)) expect(await listening(port)).toBe(false);
    expect(processesMentioning(home)).toEqual([]);

    const second = await start();
    const again = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    const described = await new Client({ connection: again }).workflow.getHandle(workflowId).describe();
    expect(described.status.name).toBe('COMPLETED');
    await again.close();
    expect(await stop(second)).toBe(0);
    expect(processesMentioning(home)).toEqual([]);
  }, 400_000);
});
