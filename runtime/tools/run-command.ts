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
  /**
   * An argv that runs the rest of the argv, such as a sandbox: the command's bash is started through it.
   * Only the wrapper's own process group is killed at the end, so the wrapper must take everything it
   * starts down with it (bwrap's PID namespace does).
   */
  wrapper?: readonly string[];
  /**
   * On a timeout or stop, kills the wrapper's inner processes before its group, which is killed a moment
   * later if the wrapper has not exited by then. A sandbox kills its namespace's init this way, so bwrap
   * reaps it; killed together, the init is left for the host's init to reap, and lingers in its cgroup.
   */
  killFirst?: (pid: number) => void;
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
const killFirstGraceMs = 500;

/** Runs `command` with `bash -c`; never rejects for the command's own failures. */
export async function runCommand(command: string, options: RunCommandOptions): Promise<CommandRun> {
  const output = new HeadTailBuffer(options.maxOutputBytes);
  // The outer shell points stderr at the stdout pipe, then becomes the shell that runs the command. One pipe
  // keeps lines in the order they were written, which execa's `all` (two pipes merged) does not guarantee.
  const [file, ...args] = [...(options.wrapper ?? []), 'bash', '-c', 'exec 2>&1; exec bash -c "$1"', 'bash', command];
  const subprocess = execa(file as string, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    stdin: 'ignore',
    // A wrapper's own complaints (bwrap refusing a mount, say) come before the command's shell exists.
    stderr: options.wrapper ? 'pipe' : 'ignore',
    buffer: false,
    // Its own process group, so one signal to -pid reaches every process it starts.
    detached: true,
    reject: false,
  });
  subprocess.stdout?.on('data', (chunk: Buffer | string) => output.push(chunk));
  subprocess.stderr?.on('data', (chunk: Buffer | string) => output.push(chunk));

  let stopped: CommandRun['stopped'];
  const killGroup = () => {
    if (subprocess.pid === undefined) return;
    try {
      process.kill(-subprocess.pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  };
  let groupKill: NodeJS.Timeout | undefined;
  const stop = (reason: 'timeout' | 'cancelled') => {
    stopped ??= reason;
    if (options.killFirst && subprocess.pid !== undefined && groupKill === undefined) {
      options.killFirst(subprocess.pid);
      groupKill = setTimeout(killGroup, killFirstGraceMs);
    } else {
      killGroup();
    }
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
    clearTimeout(groupKill);
    options.signal?.removeEventListener('abort', onAbort);
  }
  killGroup();
  let result = await Promise.race([subprocess, delay(drainGraceMs, undefined, { ref: false })]);
  if (result === undefined) {
    subprocess.stdout?.destroy();
    subprocess.stderr?.destroy();
    result = await subprocess;
  }

  const run: CommandRun = { output: output.toString() };
  if (stopped) run.stopped = stopped;
  if (result.exitCode !== undefined) run.exitCode = result.exitCode;
  if (result.signal !== undefined) run.signal = result.signal;
  if (!stopped && run.exitCode === undefined && run.signal === undefined) run.startError = result.shortMessage;
  return run;
}
