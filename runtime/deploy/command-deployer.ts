/**
 * Runs a project's configured deploy command (`bash -c`). The command gets only PATH, HOME and the variables
 * the caller chose, never VIBN's own environment, so API keys and database passwords cannot leak into a
 * deploy script or its logs. It runs in its own process group, so a timeout or an abort stops everything it
 * started, not just the shell.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { groupRunning } from '../../lib/process-state.js';
import { LOG_TAIL_BYTES, type DeployInput, type Deployer, type DeployResult } from './deployer.js';

export { LOG_TAIL_BYTES };

/** After SIGTERM, how long the command gets to exit before the whole group is killed outright. */
const KILL_GRACE_MS = 2_000;

export type CommandDeployInput = {
  /** A bash command line, run with `bash -c`. */
  command: string;
  cwd: string;
  /** Added to PATH and HOME; the only other variables the command sees. */
  env?: Record<string, string>;
  timeoutMs: number;
  /** Aborting stops the command the same way a timeout does. */
  signal?: AbortSignal;
  /** Where the command's process group and exit status are kept for a later attempt (see DeployInput.stateDir). */
  stateDir?: string;
  /**
   * The unprivileged user the command runs as (no supplementary groups). Its HOME is then the state folder,
   * which it owns; the cwd must be writable by it.
   */
  runAs?: { uid: number; gid: number };
};

export type CommandDeployResult = {
  /** True only when the command exited 0 within its time and was not aborted. */
  ok: boolean;
  /** Null when the command was ended by a signal or never started. */
  exitCode: number | null;
  /** The last ~4 KB of stdout and stderr, interleaved as written. */
  logTail: string;
  durationMs: number;
  timedOut: boolean;
  aborted: boolean;
};

/** Keeps the last `limit` bytes written to it. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.chunks.push(buf);
    this.size += buf.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.length >= this.limit) {
      this.size -= this.chunks.shift()!.length;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    // Cutting mid-character would leave a replacement glyph at the start; drop UTF-8 continuation bytes.
    let start = Math.max(0, all.length - this.limit);
    while (start < all.length && (all[start]! & 0xc0) === 0x80) start++;
    return all.subarray(start).toString('utf8');
  }
}

const PID_FILE = 'pid';
const EXIT_FILE = 'exit';

/**
 * The wrapper of a deploy with a state folder: it records the command's exit status there, and runs the
 * command at most once across attempts. An attempt whose worker died between starting the command and
 * recording its pid leaves no trace for the next attempt to adopt; the lock (held by the running wrapper,
 * never by the command, which does not inherit it) makes the next one wait, then report the recorded status.
 */
const ONCE = `exec 9>>"$2/lock" && flock 9 || exit 1
if [ -s "$2/${EXIT_FILE}" ]; then status=$(cat "$2/${EXIT_FILE}"); echo "[vibn] an earlier attempt of this deploy ran the command; it exited $status"; exit "$status"; fi
bash -c "$1" 9>&-; status=$?
echo "$status" > "$2/${EXIT_FILE}"
exit "$status"`;

const readNumber = async (file: string) => {
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  const n = text === undefined ? NaN : Number.parseInt(text.trim(), 10);
  return Number.isFinite(n) ? n : undefined;
};

/**
 * What an earlier attempt's command came to, when there was one: its exit status once it has ended (waiting for
 * it while its process group still runs), or undefined when no earlier run left a trace, or it died without
 * a status (then the command runs again).
 */
async function adoptEarlierRun(stateDir: string, timeoutMs: number, signal?: AbortSignal): Promise<{ exitCode: number | null } | undefined> {
  const pid = await readNumber(path.join(stateDir, PID_FILE));
  if (pid === undefined) return undefined;
  const deadline = Date.now() + timeoutMs;
  while ((await groupRunning(pid)) && !signal?.aborted) {
    if (Date.now() > deadline) {
      killGroup(pid, 'SIGKILL');
      return { exitCode: null };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const exitCode = await readNumber(path.join(stateDir, EXIT_FILE));
  if (exitCode !== undefined) return { exitCode };
  // Gone without a status: it was killed mid-way. Forget it and deploy afresh.
  await fs.rm(path.join(stateDir, PID_FILE), { force: true });
  return undefined;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Runs `command` in `cwd` with a minimal environment and returns how it went; never throws for a failing
 * command. On timeout or abort the command's whole process group gets SIGTERM, then SIGKILL after 2 s.
 */
export async function runCommandDeploy(input: CommandDeployInput): Promise<CommandDeployResult> {
  const started = performance.now();
  const tail = new TailBuffer(LOG_TAIL_BYTES);
  const finish = (fields: Omit<CommandDeployResult, 'logTail' | 'durationMs'>): CommandDeployResult => ({
    ...fields,
    logTail: tail.text(),
    durationMs: Math.round(performance.now() - started),
  });
  if (input.signal?.aborted) {
    tail.push('[vibn] deploy aborted before it started\n');
    return finish({ ok: false, exitCode: null, timedOut: false, aborted: true });
  }

  const adopted = input.stateDir ? await adoptEarlierRun(input.stateDir, input.timeoutMs, input.signal) : undefined;
  if (adopted) {
    tail.push(`[vibn] an earlier attempt of this deploy ran the command (the worker running it stopped); it exited ${adopted.exitCode ?? 'without a status'}\n`);
    return finish({ ok: adopted.exitCode === 0, exitCode: adopted.exitCode, timedOut: false, aborted: false });
  }

  const { runAs } = input;
  const home = runAs ? (input.stateDir ?? input.cwd) : (process.env.HOME ?? '/');
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: home };
  // The checkout was made by VIBN (root); git in it, run as another user, would refuse it as "dubious ownership".
  if (runAs) Object.assign(env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: '*' });
  if (input.stateDir) {
    await fs.mkdir(input.stateDir, { recursive: true });
    // The wrapper below writes the exit status there as the command's user.
    if (runAs) await fs.chown(input.stateDir, runAs.uid, runAs.gid);
  }
  // With a state folder, a small wrapper writes the command's exit status there, whoever is left to read it.
  const args = input.stateDir ? ['-c', ONCE, 'vibn-deploy', input.command, input.stateDir] : ['-c', input.command];
  const subprocess = execa('bash', args, {
    cwd: input.cwd,
    env: { ...env, ...input.env },
    extendEnv: false,
    // Its own process group, so that killing -pid reaches every process the command started.
    detached: true,
    // Node drops supplementary groups along with the uid; root can still signal the group.
    ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
    stdin: 'ignore',
    all: true,
    buffer: false,
    reject: false,
  });
  subprocess.all?.on('data', (chunk: Buffer | string) => tail.push(chunk));
  if (input.stateDir && subprocess.pid !== undefined) await fs.writeFile(path.join(input.stateDir, PID_FILE), String(subprocess.pid));

  let timedOut = false;
  let aborted = false;
  let escalation: NodeJS.Timeout | undefined;
  const stop = () => {
    if (escalation) return;
    killGroup(subprocess.pid, 'SIGTERM');
    escalation = setTimeout(() => killGroup(subprocess.pid, 'SIGKILL'), KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, input.timeoutMs);
  const onAbort = () => {
    aborted = true;
    stop();
  };
  input.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const result = await subprocess;
    const exitCode = result.exitCode ?? null;
    if (timedOut) tail.push(`\n[vibn] deploy timed out after ${input.timeoutMs} ms and was stopped\n`);
    else if (aborted) tail.push('\n[vibn] deploy was aborted and stopped\n');
    else if (exitCode === null) tail.push(`\n[vibn] ${result.shortMessage}\n`);
    return finish({ ok: exitCode === 0 && !timedOut && !aborted, exitCode, timedOut, aborted });
  } finally {
    clearTimeout(timer);
    clearTimeout(escalation);
    input.signal?.removeEventListener('abort', onAbort);
  }
}

export type CommandDeployerOptions = {
  /** A bash command line, run with `bash -c` in the deploy's working copy. */
  command: string;
  timeoutMs: number;
  /** Where the deployed product can be opened. */
  url?: string;
};

/** A deployer that runs the project's command in the working copy of the commit (see {@link runCommandDeploy}). */
export function createCommandDeployer(options: CommandDeployerOptions): Deployer {
  return {
    kind: 'command',
    async deploy({ workdir, env, signal, onProgress, stateDir, runAs }: DeployInput): Promise<DeployResult> {
      onProgress?.({ phase: 'started' });
      const result = await runCommandDeploy({ command: options.command, cwd: workdir, env, timeoutMs: options.timeoutMs, signal, stateDir, runAs });
      onProgress?.({ phase: 'done', remoteStatus: result.exitCode === null ? 'no exit code' : `exit ${result.exitCode}` });
      return {
        ok: result.ok,
        status: result.ok ? 'succeeded' : result.timedOut ? 'timed_out' : 'failed',
        logTail: result.logTail,
        ...(options.url ? { url: options.url } : {}),
      };
    },
  };
}
