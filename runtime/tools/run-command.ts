/**
 * Runs one shell command line in its own process group with bounded time and bounded output memory. Everything
 * the command starts is killed with SIGKILL when it ends, times out or is cancelled: SIGTERM can be trapped,
 * and a stray dev server or watcher must not outlive the call or hold its output open.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { execa } from 'execa';
import { HeadTailBuffer } from './head-tail-buffer.js';

export type RunCommandOptions = {
  cwd: string;
  /** The complete environment; nothing is inherited from this process. */
  env: Record<string, string>;
  timeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal;
};

/** How a command ended. `output` is stdout and stderr in write order, head and tail kept when long. */
export type CommandRun = {
  output: string;
  exitCode?: number;
  signal?: string;
  /** Set when we killed it; exit code and signal then only describe our kill. */
  stopped?: 'timeout' | 'cancelled';
  /** Set when the command could not start at all (for example, a missing working folder). */
  startError?: string;
};

// After the shell exits and its group is killed, only a process that left the group (setsid) can hold the
// output pipe open; we stop waiting for it after this long.
const drainGraceMs = 2_000;

/** Runs `command` with `bash -c`; never rejects for the command's own failures. */
export async function runCommand(command: string, options: RunCommandOptions): Promise<CommandRun> {
  const output = new HeadTailBuffer(options.maxOutputBytes);
  // The outer shell points stderr at the stdout pipe, then becomes the shell that runs the command. One pipe
  // keeps lines in the order they were written, which execa's `all` (two pipes merged) does not guarantee.
  const subprocess = execa('bash', ['-c', 'exec 2>&1; exec bash -c "$1"', 'bash', command], {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    stdin: 'ignore',
    stderr: 'ignore',
    buffer: false,
    // Its own process group, so one signal to -pid reaches every process it starts.
    detached: true,
    reject: false,
  });
  subprocess.stdout?.on('data', (chunk: Buffer | string) => output.push(chunk));

  let stopped: CommandRun['stopped'];
  const killGroup = () => {
    if (subprocess.pid === undefined) return;
    try {
      process.kill(-subprocess.pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  };
  const stop = (reason: 'timeout' | 'cancelled') => {
    stopped ??= reason;
    killGroup();
  };
  const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
  const onAbort = () => stop('cancelled');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  try {
    // The shell's exit, not the end of its output: a background child may keep the pipe open indefinitely.
    const exited = new Promise<void>((resolve) => subprocess.once('exit', () => resolve()));
    await Promise.race([exited, subprocess]);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
  killGroup();
  let result = await Promise.race([subprocess, delay(drainGraceMs, undefined, { ref: false })]);
  if (result === undefined) {
    subprocess.stdout?.destroy();
    result = await subprocess;
  }

  const run: CommandRun = { output: output.toString() };
  if (stopped) run.stopped = stopped;
  if (result.exitCode !== undefined) run.exitCode = result.exitCode;
  if (result.signal !== undefined) run.signal = result.signal;
  if (!stopped && run.exitCode === undefined && run.signal === undefined) run.startError = result.shortMessage;
  return run;
}
