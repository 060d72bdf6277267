/**
 * The product exactly as the README starts it: `npm start` with the user's environment (no LOG_LEVEL, no
 * LOG_FORMAT, no keys; only ports and VIBN_HOME differ so tests can run side by side), used as a newcomer
 * would: the printed sign-in link, the demo through the console in a real browser, the log read afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../lib/config.js';
import { launchConsoleBrowser, type ConsoleBrowser } from './helpers/browser.js';
import { processesIn } from './faults/processes.js';
import { eventually } from './helpers/poll.js';
import { freePort } from './helpers/ports.js';
import { mountsUnder, removeStateFolder } from '../runtime/workspace/project-disk.js';
import { workspacesDir } from '../runtime/workspace/layout.js';

/** Whether anything accepts TCP connections on a loopback port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** One run of `npm start` in its own process group, as a terminal runs it; its output kept for reading. */
type Run = { child: ChildProcess; output: () => string };

describe('npm start, as the README says', () => {
  let home: string;
  let ports: { pg: number; temporal: number; ui: number; api: number; site: number };
  let env: NodeJS.ProcessEnv;
  let running: Run | undefined;
  let browser: ConsoleBrowser | undefined;

  beforeAll(async () => {
    // Inside a folder only its owner may enter, as a checkout in root's home is: the sandbox user's folders
    // (workspaces, sites) then live under /var/lib/vibn, and the embedded Postgres needs its way in.
    const closed = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-home-'));
    await fs.chmod(closed, 0o700);
    home = path.join(closed, 'state');
    ports = { pg: await freePort(), temporal: await freePort(), ui: await freePort(), api: await freePort(), site: await freePort() };
    // A user's shell: the basics and nothing of the test runner's (no NODE_ENV, no DATABASE_URL, no keys).
    const keep = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'TERM', 'TMPDIR'];
    env = Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
    // A PATH without the sbin folders, as root's is under `su` or a kept user PATH: mkfs.ext4, useradd and
    // losetup must be found all the same.
    env.PATH = (env.PATH ?? '/usr/bin:/bin').split(':').filter((dir) => !dir.endsWith('/sbin')).join(':');
    Object.assign(env, {
      VIBN_HOME: home,
      VIBN_PG_PORT: String(ports.pg),
      TEMPORAL_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      PORT: String(ports.api),
      VIBN_DEMO_PORT: String(ports.site),
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (running) await stop(running).catch(() => undefined);
    await removeStateFolder(home);
    await fs.rm(path.dirname(home), { recursive: true, force: true });
  });

  const start = async (): Promise<Run> => {
    const child = spawn('npm', ['start'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let text = '';
    child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
    const run = { child, output: () => text };
    running = run;
    try {
      await eventually('npm start to say VIBN is running', async () => (text.includes('VIBN is running.') ? true : undefined), 240_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- npm start printed ---\n${text}`);
    }
    return run;
  };

  /**
   * Ctrl-C: SIGINT to the whole foreground process group, as a terminal sends it. npm itself then ends by that
   * signal (as in a shell); what must hold is that everything it started stopped in order, and nothing failed.
   */
  const stop = async (run: Run) => {
    const exited = new Promise<string>((resolve) => run.child.once('exit', (code, signal) => resolve(code === 0 || signal === 'SIGINT' ? 'stopped' : `code ${code}, signal ${signal}`)));
    if (run.child.exitCode === null) process.kill(-run.child.pid!, 'SIGINT');
    const how = await exited;
    running = undefined;
    return how;
  };

  /**
   * Every process npm start started has exited and freed its port. The group's SIGINT reaches the Temporal dev
   * server and Postgres directly too, and npm may return before their last moments: allow them a few seconds.
   */
  const allStopped = () =>
    eventually('everything npm start started to exit', async () => {
      for (const port of Object.values(ports)) if (await listening(port)) return undefined;
      // The project disks it mounted are unmounted last, after the processes: npm itself may exit before that.
      if ((await mountsUnder(workspacesDir(home))).length > 0) return undefined;
      return (await processesIn([home])).length === 0 ? true : undefined;
    }, 30_000);

  it('starts on the defaults, prints the next steps, runs the demo from the console to Live, logs cleanly, and stops on Ctrl-C', async () => {
    const first = await start();
    const printed = first.output();
    const api = `http://127.0.0.1:${ports.api}`;

    // The next steps are printed for a person, whatever the log level: the sign-in link, the API, the Temporal UI.
    const link = printed.match(/Web console: +(http:\/\/\S+\/#token=(\S+))/);
    expect(link, printed).not.toBeNull();
    expect(printed).toContain(`API:          ${api}/api`);
    expect(printed).toContain(`Temporal UI:  http://127.0.0.1:${ports.ui}`);
    const token = decodeURIComponent(link![2]!);
    expect((await fs.readFile(path.join(home, 'admin-token'), 'utf8')).trim()).toBe(token);
    expect((await fs.stat(path.join(home, 'admin-token'))).mode & 0o777).toBe(0o600);

    const health = await (await fetch(`${api}/health`)).json();
    expect(health).toEqual({ status: 'ok', postgres: { ok: true }, temporal: { ok: true }, sandbox: { ok: true } });
    expect((await fetch(`http://127.0.0.1:${ports.ui}/`)).status).toBe(200);
    expect((await fetch(`${api}/api/projects`)).status).toBe(401);
    const site = `http://127.0.0.1:${ports.site}`;
    expect(await (await fetch(`${site}/`)).text()).toContain('Acme Notes');
    expect((await fetch(`${site}/referral.html`)).status).toBe(404);

    // A run made through the worker npm start runs, to find again after a restart.
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    const workflowId = `self-test-${path.basename(home)}`;
    const result = await new Client({ connection }).workflow.execute('selfTestWorkflow', {
      taskQueue: 'vibn',
      workflowId,
      args: [{ conversationId: '00000000-0000-4000-8000-000000000001', steps: 2, pauseMs: 10 }],
    });
    expect(result).toEqual({ written: [1, 2] });
    await connection.close();

    // The demo, through the console opened from the printed link, to Live.
    browser = await launchConsoleBrowser();
    const page = await browser.open(api, '/', token);
    await page.getByTestId('composer-input').fill('Add a referral program');
    await page.getByTestId('composer-send').click();
    const card = page.locator('[data-testid="plan-card"][data-on-table="true"]');
    await card.waitFor({ timeout: 90_000 });
    expect(await page.getByTestId('sandbox-notice').count()).toBe(0);
    await card.getByTestId('plan-confirm').click();
    await page.getByTestId('tab-code').click();
    await page.locator('[data-testid="deploy"][data-status="succeeded"]').waitFor({ timeout: 180_000 });
    await expect(page.getByTestId('deploy').innerText()).resolves.toMatch(/^Live/);
    expect(await (await fetch(`${site}/referral.html`)).text()).toContain('Give a month, get a month');
    expect(browser.pageErrors).toEqual([]);
    await browser.close();
    browser = undefined;

    // The demo's project disk was mounted while it ran (outside the closed state folder), and not after.
    expect(await mountsUnder(workspacesDir(home))).toHaveLength(1);
    expect(workspacesDir(home).startsWith('/var/lib/vibn/')).toBe(true);
    expect(await stop(first)).toBe('stopped');
    await allStopped();

    // The log, as the user's terminal got it: every request logged at the default level, no error, no secret.
    const log = first.output();
    expect(log).toContain('"msg":"incoming request"');
    expect(log).not.toMatch(/Maximum call stack|RangeError|"level":(50|60)/);
    expect(log.split(token).length - 1).toBe(1); // the sign-in link, printed once; never a log line
    expect(log).not.toMatch(/ticket=(?!\[redacted\])/);

    // Runs and data survive a restart; the token is not printed again.
    const second = await start();
    expect(second.output()).not.toContain(token);
    const again = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    const described = await new Client({ connection: again }).workflow.getHandle(workflowId).describe();
    expect(described.status.name).toBe('COMPLETED');
    await again.close();
    expect(await stop(second)).toBe('stopped');
    await allStopped();
  }, 600_000);
});
