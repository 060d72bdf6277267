/**
 * Runs an agent's command line under bubblewrap, with rlimits and, where the worker may make cgroups, a cap
 * on the whole command's memory and processes. Where bubblewrap is missing, commands are refused unless the
 * worker is explicitly configured to run them unsandboxed.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { runCommand, type CommandRun, type RunCommandOptions } from '../tools/run-command.js';
import type { ToolLimits } from '../tools/types.js';
import { bubblewrapArgs, toolchainRoots, type SandboxOptions } from './bubblewrap.js';
import { BoundsUnavailableError } from './bounds-unavailable.js';
import { createCommandCgroup, type LimitsHit } from './cgroup.js';
import { detectInternetOnly, internetOnlyPrefix, InternetOnlyUnavailableError } from './network.js';
import { findExecutable } from '../../lib/executables.js';
import { probeCache } from './probe-cache.js';
import { asSandboxUser } from './sandbox-user.js';
import { SANDBOX_INSTALL_COMMAND, SANDBOX_PACKAGE, type SandboxHealth } from '../../core/sandbox-missing.js';
import { CommandsRefusedError } from './commands-refused.js';

export { BoundsUnavailableError, InternetOnlyUnavailableError };

/** The setting a worker's config reads to run commands without a sandbox, named in our refusals. */
export const UNSANDBOXED_SETTING = 'VIBN_UNSANDBOXED';

/** A tool context's sandbox: bubblewrap with options, or explicitly none. */
export type SandboxSetting = SandboxOptions | 'unsandboxed';

/** The limits a sandboxed command runs under. */
export type SandboxLimits = Pick<ToolLimits, 'cpuSeconds' | 'memoryBytes' | 'addressSpaceBytes' | 'maxProcesses'>;

/**
 * Thrown when a command should run sandboxed but bubblewrap cannot run here (not installed, too old for
 * --disable-userns, or user namespaces are off). Not retryable: the machine has to change.
 */
export class SandboxUnavailableError extends CommandsRefusedError {
  override readonly name = 'SandboxUnavailableError';

  /** `reason`: what bwrap said, or why it could not start. */
  constructor(reason: string) {
    super(
      reason,
      `Commands are not run: the bubblewrap sandbox is not available on this worker (${reason}). ` +
        `Install the ${SANDBOX_PACKAGE} package (bwrap 0.8 or later: ${SANDBOX_INSTALL_COMMAND}), or set ${UNSANDBOXED_SETTING}=1 to run commands without a sandbox.`,
    );
  }
}

export type BubblewrapStatus = { available: true } | { available: false; reason: string };

/**
 * Whether bwrap can build our sandbox here, by running `true` in one. A working sandbox is remembered per
 * executable; a missing one for half a minute, then probed again, so installing bubblewrap needs no restart.
 */
const detectBubblewrapAt = probeCache(probe, (status: BubblewrapStatus) => status.available);
export const detectBubblewrap = (bwrapPath = 'bwrap') => detectBubblewrapAt(bwrapPath);

/** The sandbox as /health and the console report it: fine, deliberately off, or missing with the fix. */
export async function sandboxHealth(setting: SandboxSetting): Promise<SandboxHealth> {
  if (setting === 'unsandboxed') return { ok: true, unsandboxed: true };
  const status = await detectBubblewrap(setting.bwrapPath);
  return status.available ? { ok: true } : { ok: false, reason: status.reason, package: SANDBOX_PACKAGE, fix: SANDBOX_INSTALL_COMMAND };
}

async function probe(bwrapPath: string): Promise<BubblewrapStatus> {
  const worktree = await fsp.mkdtemp(path.join(os.tmpdir(), 'vibn-sandbox-probe-'));
  try {
    // Started as the sandbox user, like every real command: the probe fails where theirs would.
    await fsp.chmod(worktree, 0o755);
    // The program started is setpriv where VIBN is root, so a missing bwrap is looked for first.
    if (!findExecutable(bwrapPath)) return { available: false, reason: `${bwrapPath} was not found` };
    const [file, ...args] = [...asSandboxUser(), bwrapPath, ...bubblewrapArgs({ worktree, options: {}, hostLinks: hostLinks() })];
    const result = await execa(file!, [...args, '--', 'true'], { reject: false, timeout: 10_000, stdin: 'ignore' });
    if (result.exitCode === 0) return { available: true };
    if ('code' in result && result.code === 'ENOENT') return { available: false, reason: `${bwrapPath} was not found` };
    const said = typeof result.stderr === 'string' ? result.stderr.trim() : '';
    return { available: false, reason: said || result.shortMessage || `bwrap exited with ${result.exitCode}` };
  } finally {
    await fsp.rm(worktree, { recursive: true, force: true });
  }
}

/** Makes sandboxing mandatory for a caller: an absent setting becomes the default sandbox. */
export function requireSandbox(setting: SandboxSetting | undefined): SandboxSetting {
  return setting ?? {};
}

/**
 * Throws when a command with these options would not get the sandbox it asks for: SandboxUnavailableError
 * without bwrap, InternetOnlyUnavailableError when it allows the network and no namespace of its own can be
 * made (it is never given the host's network instead).
 */
export async function assertReady(sandbox: SandboxOptions): Promise<void> {
  const status = await detectBubblewrap(sandbox.bwrapPath);
  if (!status.available) throw new SandboxUnavailableError(status.reason);
  if (sandbox.allowNetwork) {
    const net = await detectInternetOnly();
    if (!net.available) throw new InternetOnlyUnavailableError(net.reason);
  }
}

/** For a worker's start: throws SandboxUnavailableError when commands would be refused. */
export async function assertSandboxReady(setting: SandboxSetting): Promise<void> {
  if (setting === 'unsandboxed') return;
  const status = await detectBubblewrap(setting.bwrapPath);
  if (!status.available) throw new SandboxUnavailableError(status.reason);
}

let linksOnce: Record<string, string> | undefined;

/** Which of /bin, /lib … are symlinks on this host (merged /usr), read once. */
export function hostLinks(): Record<string, string> {
  if (!linksOnce) {
    const links: Record<string, string> = {};
    for (const root of toolchainRoots) {
      try {
        links[root] = fs.readlinkSync(root);
      } catch {
        // A real folder, or none: bubblewrapArgs binds it if it exists.
      }
    }
    linksOnce = links;
  }
  return linksOnce;
}

function isSymlink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

export type WrapCommandInput = {
  worktree: string;
  sandbox: SandboxOptions;
  limits: SandboxLimits;
  /** An argv prefix run first, outside the sandbox (joining cgroups). */
  prefix?: readonly string[];
};

/**
 * The argv that runs a program in the sandbox under rlimits: append the program and its arguments. bwrap is
 * started as the sandbox user (when VIBN is root), so the sandbox is never host root. prlimit runs inside,
 * so bwrap itself is not bound by the limits and RLIMIT_NPROC counts only the sandbox's processes. No core
 * files either.
 */
export function wrapCommand({ worktree, sandbox, limits, prefix = [] }: WrapCommandInput): string[] {
  return [
    ...prefix,
    // Before dropping to the sandbox user: the network namespace needs root to open /dev/net/tun, and its
    // slirp4netns then sits in the command's cgroup.
    ...(sandbox.allowNetwork ? internetOnlyPrefix() : []),
    ...asSandboxUser(),
    sandbox.bwrapPath ?? 'bwrap',
    ...bubblewrapArgs({ worktree, options: sandbox, hostLinks: hostLinks(), gitDirIsSymlink: isSymlink(path.join(worktree, '.git')) }),
    '--',
    'prlimit',
    // SIGXCPU at the limit says why (exit code 152); SIGKILL a little later for a process that ignores it.
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 5}`,
    `--as=${limits.addressSpaceBytes}`,
    `--nproc=${limits.maxProcesses}`,
    '--core=0',
    '--',
  ];
}

export type SandboxedRunOptions = Omit<RunCommandOptions, 'wrapper'> & { sandbox: SandboxOptions; limits: SandboxLimits };

/** Which limits stopped part of a command. Memory and processes are known only where cgroups are used. */
export type SandboxLimitsHit = LimitsHit & { cpu: boolean };

/** A run, and for a sandboxed one which limits stopped part of it. */
export type SandboxedRun = CommandRun & { limitsHit?: SandboxLimitsHit };

const sigxcpuExit = 128 + 24;

/**
 * Runs `command` with `bash -c` in the sandbox, rooted at `cwd`; throws SandboxUnavailableError without bwrap, and
 * BoundsUnavailableError where its cgroup caps cannot be applied (unless the sandbox is `unbounded`).
 */
export async function runSandboxed(command: string, options: SandboxedRunOptions): Promise<SandboxedRun> {
  const { sandbox, limits, ...runOptions } = options;
  await assertReady(sandbox);
  const cgroup = await createCommandCgroup({ project: sandbox.project ?? 'default', limits, unbounded: sandbox.unbounded });
  try {
    const wrapper = wrapCommand({ worktree: options.cwd, sandbox, limits, prefix: cgroup?.enter ?? [] });
    const run: SandboxedRun = await runCommand(command, { ...runOptions, wrapper, killFirst: killNamespaceInit });
    const hit = (await cgroup?.limitsHit()) ?? { memory: false, processes: false };
    run.limitsHit = { ...hit, cpu: run.exitCode === sigxcpuExit };
    return run;
  } finally {
    await cgroup?.remove();
  }
}

/** Kills the init of bwrap's PID namespace (bwrap's child); the kernel then kills the rest of the namespace. */
function killNamespaceInit(bwrapPid: number): void {
  let children = '';
  try {
    children = fs.readFileSync(`/proc/${bwrapPid}/task/${bwrapPid}/children`, 'utf8');
  } catch {
    // bwrap is gone, or the kernel does not list children: the group kill that follows does it.
  }
  for (const pid of children.split(' ').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** A line for the model when a cap stopped part of the command, or undefined. */
export function describeLimitsHit(hit: SandboxLimitsHit | undefined, limits: SandboxLimits): string | undefined {
  const notes: string[] = [];
  if (hit?.cpu) notes.push(`a process was stopped after ${limits.cpuSeconds} s of CPU time, its limit`);
  const project = 'the memory of all the project\'s commands and terminals together reached the project\'s limit';
  if (hit?.memory) {
    notes.push(`a process was killed: ${hit.byProject?.memory ? project : `the command's memory limit (${Math.round(limits.memoryBytes / 1024 ** 2)} MiB) was reached`}`);
  }
  if (hit?.processes) {
    notes.push(
      `starting a process failed: ${hit.byProject?.processes ? "the project's commands and terminals together reached its limit of processes and threads" : `the command's limit of ${limits.maxProcesses} processes and threads was reached`}`,
    );
  }
  return notes.length > 0 ? `sandbox: ${notes.join('; ')}` : undefined;
}
