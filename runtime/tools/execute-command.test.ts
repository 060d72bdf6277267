import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import os from 'node:os';
import { execa } from 'execa';
import { SANDBOX_HOME } from '../sandbox/index.js';
import { executeTool, type ToolContext } from './index.js';
import { isRunning } from '../../lib/process-state.js';
import { makeWorkspace } from './test-workspace.js';

/** Waits briefly for `pid` to die: SIGKILL is delivered asynchronously. */
async function diesSoon(pid: number): Promise<boolean> {
  for (let i = 0; i < 40; i += 1) {
    if (!(await isRunning(pid))) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

function pidIn(output: string): number {
  const match = /PID=(\d+)/.exec(output);
  if (!match) throw new Error(`no PID in output: ${output}`);
  return Number(match[1]);
}

describe('execute_command', () => {
  afterEach(() => {
    delete process.env.VIBN_SECRET_PLANT;
  });

  it('runs in the workspace root and reports the exit code with interleaved output', async () => {
    const ctx = await makeWorkspace({ 'hello.txt': 'hi' });
    const outcome = await executeTool(ctx, 'execute_command', { command: 'cat hello.txt; echo " out"; echo err >&2; pwd; nosuchcommand' });
    expect(outcome.isError).toBe(true);
    const lines = outcome.output.split('\n');
    expect(lines.slice(0, 3)).toEqual(['exit code: 127', 'hi out', 'err']);
    expect(lines[3]?.endsWith(ctx.root.split('/').pop() as string)).toBe(true);
    expect(lines[4]).toBe('bash: line 1: nosuchcommand: command not found');
  });

  it('marks a non-zero exit as an error the model can read', async () => {
    const ctx = await makeWorkspace();
    const outcome = await executeTool(ctx, 'execute_command', { command: 'echo "boom" >&2; exit 3' });
    expect(outcome).toEqual({ output: 'exit code: 3\nboom\n', isError: true });
  });

  it('kills a command at its timeout, even one that ignores SIGTERM, and returns promptly', async () => {
    const ctx = await makeWorkspace();
    const started = Date.now();
    const outcome = await executeTool(ctx, 'execute_command', { command: "trap '' TERM; echo started; sleep 30", timeout_seconds: 1 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(outcome.isError).toBe(true);
    expect(outcome.output).toMatch(/^timed out after 1s/);
    expect(outcome.output).toContain('started');
  });

  it('never waits longer than the workspace limit', async () => {
    const ctx = await makeWorkspace({}, { commandTimeoutMs: 1_000 });
    const started = Date.now();
    const outcome = await executeTool(ctx, 'execute_command', { command: 'sleep 30', timeout_seconds: 600 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(outcome.output).toMatch(/^timed out after 1s/);
  });

  it('kills background children when the command times out', async () => {
    const ctx = await makeWorkspace();
    const outcome = await executeTool(ctx, 'execute_command', { command: 'sleep 30 & echo PID=$!; sleep 30', timeout_seconds: 1 });
    expect(await diesSoon(pidIn(outcome.output))).toBe(true);
  });

  it('does not wait for, nor leave behind, a background child that holds the output open', async () => {
    const ctx = await makeWorkspace();
    const started = Date.now();
    const outcome = await executeTool(ctx, 'execute_command', { command: 'sleep 30 & echo PID=$!' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(outcome.isError).toBe(false);
    expect(await diesSoon(pidIn(outcome.output))).toBe(true);
  });

  it('stops waiting for a process that left the group and still holds the output open', async () => {
    const ctx = await makeWorkspace();
    const started = Date.now();
    // The pause lets setsid leave the group before the shell exits and the group is killed.
    const outcome = await executeTool(ctx, 'execute_command', { command: 'setsid sleep 30 & echo PID=$!; sleep 0.3' });
    const elapsed = Date.now() - started;
    const pid = pidIn(outcome.output);
    if (await isRunning(pid)) process.kill(pid, 'SIGKILL');
    expect(elapsed).toBeGreaterThanOrEqual(2_000);
    expect(elapsed).toBeLessThan(4_000);
    expect(outcome).toMatchObject({ isError: false });
  });

  it('reports a signal that killed the command', async () => {
    const ctx = await makeWorkspace();
    expect(await executeTool(ctx, 'execute_command', { command: 'kill -SEGV $$' })).toEqual({ output: 'killed by signal SIGSEGV\n', isError: true });
  });

  it('kills the command when the activity is cancelled', async () => {
    const ctx = await makeWorkspace();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    const outcome = await executeTool({ ...ctx, signal: controller.signal }, 'execute_command', { command: 'sleep 30' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(outcome).toMatchObject({ isError: true });
    expect(outcome.output).toMatch(/^cancelled/);
  });

  it('keeps the head and tail of endless output in bounded memory', async () => {
    const ctx = await makeWorkspace({}, { maxOutputBytes: 1_000 });
    const before = process.memoryUsage().rss;
    const outcome = await executeTool(ctx, 'execute_command', { command: 'yes; echo unreachable', timeout_seconds: 2 });
    expect(outcome.output).toMatch(/^timed out after 2s and was killed\ny\ny\n/);
    expect(outcome.output).toMatch(/\[… \d+ bytes cut …\]/);
    expect(outcome.output.length).toBeLessThan(1_200);
    expect(process.memoryUsage().rss - before).toBeLessThan(200_000_000);

    const tail = await executeTool(ctx, 'execute_command', { command: 'seq 1 100000; echo "the error is here" >&2; exit 1' });
    expect(tail.isError).toBe(true);
    expect(tail.output.trimEnd().endsWith('100000\nthe error is here')).toBe(true);
  });

  it('does not pass the worker environment to commands', async () => {
    process.env.VIBN_SECRET_PLANT = 's3cr3t';
    const ctx = await makeWorkspace();
    const outcome = await executeTool(ctx, 'execute_command', { command: 'env' });
    expect(outcome.isError).toBe(false);
    expect(outcome.output).not.toContain('s3cr3t');
    expect(outcome.output).toContain('PATH=');

    const given = await executeTool({ ...ctx, env: { ONLY: 'this', PATH: process.env.PATH ?? '' } }, 'execute_command', { command: 'env' });
    expect(given.output).toContain('ONLY=this');
    expect(given.output).not.toContain('s3cr3t');
  });
});

describe('the sandbox of execute_command', () => {
  it('is required by type: running without one is the explicit value', async () => {
    const { root, limits } = await makeWorkspace({ 'hello.txt': 'hi' });
    // @ts-expect-error a context without a sandbox does not typecheck (tsc --noEmit fails if this line compiles)
    const forgotten: ToolContext = { root, limits };
    expect(forgotten.root).toBe(root);

    const explicit = await executeTool({ root, limits, sandbox: 'unsandboxed' }, 'execute_command', { command: 'cat hello.txt; echo " $HOME"' });
    expect(explicit).toEqual({ output: `exit code: 0\nhi ${os.homedir()}\n`, isError: false });
  });

  it('falls back to the default sandbox, never to none, for a context built around the type', async () => {
    const { root, limits } = await makeWorkspace({ 'hello.txt': 'hi' });
    // A working copy the sandbox user can read, as a real worktree is.
    await execa('git', ['init', '-q'], { cwd: root });
    await fs.chmod(root, 0o755);
    const cast = { root, limits } as unknown as ToolContext;
    const outcome = await executeTool(cast, 'execute_command', { command: 'cat hello.txt; echo " $HOME"' });
    expect(outcome).toEqual({ output: `exit code: 0\nhi ${SANDBOX_HOME}\n`, isError: false });
  });
});
