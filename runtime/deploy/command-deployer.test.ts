import { eventually } from '../../test/helpers/poll.js';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRunning } from '../../lib/process-state.js';
import { LOG_TAIL_BYTES, runCommandDeploy } from './command-deployer.js';

let cwd: string;
beforeEach(async () => {
  cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-deploy-'));
});
afterEach(() => fs.rm(cwd, { recursive: true, force: true }));

/** Whether `pid` still runs, allowing a moment for the signal to land. */
async function stillRunning(pid: number): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    if (!(await isRunning(pid))) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

describe('runCommandDeploy', () => {
  it('runs the command in cwd with the given variables and none of VIBN’s own', async () => {
    process.env.VIBN_TEST_SECRET = 'do-not-leak';
    try {
      const result = await runCommandDeploy({
        command: 'echo "deploying $VIBN_COMMIT from $(pwd)"; echo "secret=${VIBN_TEST_SECRET:-none}"; echo to-stderr >&2',
        cwd,
        env: { VIBN_COMMIT: 'abc123' },
        timeoutMs: 10_000,
      });
      expect(result).toMatchObject({ ok: true, exitCode: 0, timedOut: false, aborted: false });
      expect(result.logTail).toContain(`deploying abc123 from ${await fs.realpath(cwd)}`);
      expect(result.logTail).toContain('secret=none');
      expect(result.logTail).toContain('to-stderr');
      expect(result.durationMs).toBeGreaterThanOrEqual(0);
    } finally {
      delete process.env.VIBN_TEST_SECRET;
    }
  });

  it('reports a failing command’s exit code and its last output', async () => {
    const result = await runCommandDeploy({ command: 'echo "build failed: missing index.html" >&2; exit 3', cwd, timeoutMs: 10_000 });
    expect(result).toMatchObject({ ok: false, exitCode: 3, timedOut: false });
    expect(result.logTail).toContain('build failed: missing index.html');
  });

  it('keeps only the last ~4 KB of a long log', async () => {
    const result = await runCommandDeploy({ command: 'for i in $(seq 1 2000); do echo "line $i"; done', cwd, timeoutMs: 10_000 });
    expect(result.ok).toBe(true);
    expect(Buffer.byteLength(result.logTail)).toBeLessThanOrEqual(LOG_TAIL_BYTES);
    expect(result.logTail).toContain('line 2000');
    expect(result.logTail).not.toContain('line 1\n');
  });

  it('on timeout stops the command and everything it started', async () => {
    const pidFile = path.join(cwd, 'child.pid');
    const result = await runCommandDeploy({
      command: `sleep 30 & echo $! > ${pidFile}; echo started; wait`,
      cwd,
      timeoutMs: 500,
    });
    expect(result).toMatchObject({ ok: false, exitCode: null, timedOut: true });
    expect(result.logTail).toContain('started');
    expect(result.logTail).toContain('timed out after 500 ms');
    expect(result.durationMs).toBeLessThan(5_000);
    const child = Number(await fs.readFile(pidFile, 'utf8'));
    expect(await stillRunning(child)).toBe(false);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await runCommandDeploy({ command: 'sleep 30', cwd, timeoutMs: 30_000, signal: controller.signal });
    expect(result).toMatchObject({ ok: false, aborted: true, timedOut: false });
    expect(result.durationMs).toBeLessThan(5_000);
  });

  describe('across attempts of one deploy (a state folder)', () => {
    const lines = async () => (await fs.readFile(path.join(cwd, 'deploys.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
    const command = 'sleep 1; echo deployed >> deploys.log';

    it('adopts the command an earlier attempt left running, and its result, instead of deploying twice', async () => {
      const stateDir = path.join(cwd, 'state');
      // The first attempt's worker "dies": nobody awaits it, its command goes on.
      const first = runCommandDeploy({ command, cwd, timeoutMs: 10_000, stateDir });
      await new Promise((r) => setTimeout(r, 200));
      const retry = await runCommandDeploy({ command, cwd, timeoutMs: 10_000, stateDir });
      expect(retry).toMatchObject({ ok: true, exitCode: 0 });
      expect(retry.logTail).toContain('an earlier attempt of this deploy ran the command');
      await first;
      // A later retry finds the recorded status: still one deploy.
      expect(await runCommandDeploy({ command, cwd, timeoutMs: 10_000, stateDir })).toMatchObject({ ok: true, exitCode: 0 });
      expect(await lines()).toEqual(['deployed']);
    });

    it('deploys once when the earlier attempt died after starting the command but before recording its pid', async () => {
      const stateDir = path.join(cwd, 'unrecorded');
      const first = runCommandDeploy({ command, cwd, timeoutMs: 10_000, stateDir });
      // The first attempt's worker "died" before writing the pid file: nothing tells the retry about it.
      await eventually('the first command to start', async () => ((await fs.stat(path.join(stateDir, 'lock')).catch(() => undefined)) ? true : undefined), 5_000);
      await fs.rm(path.join(stateDir, 'pid'), { force: true });
      const retry = await runCommandDeploy({ command, cwd, timeoutMs: 10_000, stateDir });
      expect(retry).toMatchObject({ ok: true, exitCode: 0 });
      expect(retry.logTail).toContain('an earlier attempt of this deploy ran the command');
      await first;
      expect(await lines()).toEqual(['deployed']);
    });

    it('reports a failed earlier run as failed, and runs again when the earlier one died without a status', async () => {
      const failed = path.join(cwd, 'failed');
      await runCommandDeploy({ command: 'exit 3', cwd, timeoutMs: 10_000, stateDir: failed });
      expect(await runCommandDeploy({ command: 'exit 0', cwd, timeoutMs: 10_000, stateDir: failed })).toMatchObject({ ok: false, exitCode: 3 });

      const killed = path.join(cwd, 'killed');
      await fs.mkdir(killed);
      await fs.writeFile(path.join(killed, 'pid'), '999999');
      expect(await runCommandDeploy({ command, cwd, timeoutMs: 10_000, stateDir: killed })).toMatchObject({ ok: true, exitCode: 0 });
      expect(await lines()).toEqual(['deployed']);
    });
  });
});
