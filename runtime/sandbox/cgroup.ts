/**
 * Memory, process and CPU bounds for a project and for each of its commands, as cgroups (v2, or v1 where
 * the controllers are there). Under this process's own cgroup, `vibn/<project>/` holds the project's totals
 * and a CPU weight, and `vibn/<project>/<command>/` each command's own caps, so all the terminals and agent
 * commands of one project stay within its totals together: the API (terminals) and the worker (commands)
 * use the same folder when they run in the same cgroup, as `npm start` starts them. Unlike rlimits the caps
 * cover a whole command (every process, thread and tmpfs page) and bind root: RLIMIT_NPROC does not.
 *
 * Fail closed: where the cgroups cannot be made or a cap cannot be written, createCommandCgroup throws
 * BoundsUnavailableError, unless the caller passes `unbounded` (the operator's VIBN_UNBOUNDED=1).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { BoundsUnavailableError } from './bounds-unavailable.js';
import { CONTROLLERS, DIALECTS, type Caps, type Controller, type Counter, type Dialect } from './cgroup-dialects.js';
import { enableControllers, locateOwnCgroups, type CgroupHost } from './cgroup-host.js';

/** One command's own caps. */
export type CgroupLimits = { memoryBytes: number; maxProcesses: number };

/** A project's totals across all its terminals and commands at once, and its share of the CPU. */
export type ProjectLimits = {
  memoryBytes: number;
  maxProcesses: number;
  /** CPU weight against other projects when the CPU is busy: 100 is an even share (v1: cpu.shares 1024). */
  cpuWeight: number;
};

export const defaultProjectLimits: ProjectLimits = { memoryBytes: 4 * 1024 ** 3, maxProcesses: 512, cpuWeight: 100 };

/** Which caps stopped something during the command. */
export type LimitsHit = {
  memory: boolean;
  processes: boolean;
  /** Where one was hit: which of them were the project's totals (its other terminals and commands counted), not the command's own cap. */
  byProject?: { memory: boolean; processes: boolean };
};

/** A command's cgroups: made before it starts, removed after it ends. */
export type CommandCgroup = {
  /** Which cgroup version the bounds are on. */
  readonly version: 1 | 2;
  /** An argv prefix that moves itself into the cgroups, then execs the rest of the argv. */
  enter: string[];
  limitsHit(): Promise<LimitsHit>;
  /** Kills anything left in the command's cgroups and removes them, and the project's when it was the last. Never throws. */
  remove(): Promise<void>;
};

export type CommandCgroupOptions = {
  /** Whose totals the command counts against: a project id (letters, digits, '-', '_'). */
  project: string;
  limits: CgroupLimits;
  projectLimits?: ProjectLimits;
  /** The operator's opt-out: where the bounds cannot be applied, run without them instead of refusing. */
  unbounded?: boolean;
  /** Where the cgroups are; this process's own by default. */
  host?: CgroupHost;
};

type Dirs = Record<Controller, string>;

const projectKeyPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
// A project folder removed by another process's last command while this one made its own: made again.
const ATTEMPTS = 5;

/** Makes the command's cgroup under its project's; with the old `(limits)` call, under the project 'default'. */
export function createCommandCgroup(options: CommandCgroupOptions): Promise<CommandCgroup | undefined>;
/** @deprecated Pass `{ project, limits }`: this counts every caller against one project, 'default'. */
export function createCommandCgroup(limits: CgroupLimits): Promise<CommandCgroup | undefined>;
export async function createCommandCgroup(arg: CommandCgroupOptions | CgroupLimits): Promise<CommandCgroup | undefined> {
  const options: CommandCgroupOptions = 'project' in arg ? arg : { project: 'default', limits: arg };
  if (!projectKeyPattern.test(options.project)) throw new TypeError(`not a usable cgroup project key: ${JSON.stringify(options.project)}`);
  const refuse = (reason: string) => {
    if (options.unbounded) return undefined;
    throw new BoundsUnavailableError(reason);
  };

  const found = options.host ? { host: options.host } : await ownHost();
  if ('missing' in found) return refuse(found.missing);
  const { host } = found;
  const dialect = DIALECTS[host.version];
  const base = under(host.own, 'vibn');
  const project = under(base, options.project);
  const leaf = under(project, randomUUID());
  const projectCaps: Caps = options.projectLimits ?? defaultProjectLimits;

  for (let attempt = 1; ; attempt += 1) {
    try {
      if (dialect.version === 2) await prepareV2(host.own.memory);
      await makeGroup(dialect, base, undefined);
      await makeGroup(dialect, project, projectCaps);
      await makeGroup(dialect, leaf, options.limits, { fresh: true });
      break;
    } catch (error) {
      await removeDirs(unique(leaf), [...unique(project), ...unique(base)]);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && attempt < ATTEMPTS) continue;
      return refuse((error as Error).message);
    }
  }
  return commandCgroup(dialect, { project, leaf, base }, { own: options.limits, project: projectCaps });
}

let ownHostFound: CgroupHost | undefined;

/** This process's cgroups; a found one is kept, a missing one looked for again next time. */
async function ownHost(): Promise<{ host: CgroupHost } | { missing: string }> {
  if (ownHostFound) return { host: ownHostFound };
  const lookup = await locateOwnCgroups();
  if ('host' in lookup) ownHostFound = lookup.host;
  return lookup;
}

/**
 * Where command cgroups are made, or undefined where no cgroup hierarchy with memory, pids and cpu is found.
 * @deprecated Use boundsHealth, which also tries a write.
 */
export async function cgroupParents(): Promise<CgroupHost | undefined> {
  const lookup = await ownHost();
  return 'host' in lookup ? lookup.host : undefined;
}

const preparedV2 = new Map<string, Promise<void>>();

/** Once per process: the server's own v2 cgroup hands its controllers down (see enableControllers). */
function prepareV2(own: string): Promise<void> {
  let prepared = preparedV2.get(own);
  if (!prepared) {
    prepared = enableControllers(own, { moveProcesses: true });
    preparedV2.set(own, prepared);
    prepared.catch(() => preparedV2.delete(own));
  }
  return prepared;
}

/** Makes the folders of one cgroup (all hierarchies), writes its caps, and on v2 passes controllers down. */
async function makeGroup(dialect: Dialect, dirs: Dirs, caps: Caps | undefined, { fresh = false } = {}): Promise<void> {
  for (const dir of unique(dirs)) {
    await fs.mkdir(dir, { recursive: !fresh }).catch((error: NodeJS.ErrnoException) => {
      throw stepError(`making ${dir} failed`, error);
    });
  }
  if (caps) {
    for (const setting of dialect.settings(caps)) {
      const file = path.join(dirs[setting.controller], setting.file);
      if (setting.when !== 'always' && !(await exists(file))) continue;
      // An existing project keeps its caps; rewriting an equal v1 memory limit would still make it reclaim.
      if (!fresh && (await fs.readFile(file, 'utf8').catch(() => '')).trim() === setting.value) continue;
      try {
        await fs.writeFile(file, setting.value);
      } catch (error) {
        if (setting.when !== 'attempt') throw stepError(`writing ${setting.value} to ${file} failed`, error as NodeJS.ErrnoException);
      }
    }
  }
  // A fresh command cgroup gets no children, so nothing is passed down to it.
  if (dialect.version === 2 && !fresh) await enableControllers(dirs.memory, { moveProcesses: false });
}

function commandCgroup(dialect: Dialect, groups: { project: Dirs; leaf: Dirs; base: Dirs }, caps: { own: CgroupLimits; project: Caps }): CommandCgroup {
  const { project, leaf, base } = groups;
  const leafDirs = unique(leaf);
  // The project's count grows with every one of its commands: only what grows during this one counts.
  const forksBefore = counter(project, dialect.forkFailures);
  return {
    version: dialect.version,
    enter: [
      '/bin/sh',
      '-c',
      // Joins every cgroup before exec, so the command's first fork is already counted; refuses to run otherwise.
      'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n - 1)); done; exec "$@"',
      'vibn-cgroup',
      String(leafDirs.length),
      ...leafDirs.map((dir) => path.join(dir, 'cgroup.procs')),
    ],
    async limitsHit() {
      // The OOM killer's victim is counted in its own cgroup, whichever ancestor's limit was reached. Which
      // one it was shows in the peaks: a command that never came near its own cap was stopped by the project's.
      const memory = ((await counter(leaf, dialect.oomKills)) ?? 0) > 0;
      const ownMemoryCap = nearCap(await counter(leaf, dialect.memoryPeak), caps.own.memoryBytes);
      const projectMemoryCap = nearCap(await counter(project, dialect.memoryPeak), caps.project.memoryBytes);
      // v1 (and v2 before Linux 6.13) count a refused fork in the forking cgroup; v2 since then in the cgroup
      // whose limit refused it, and its ancestors. Either way one of these two grows.
      const projectForks = ((await counter(project, dialect.forkFailures)) ?? 0) > ((await forksBefore) ?? 0);
      const processes = ((await counter(leaf, dialect.forkFailures)) ?? 0) > 0 || projectForks;
      const processPeak = await counter(leaf, dialect.processPeak);
      const ownProcessCap = processPeak === undefined ? !projectForks : processPeak >= caps.own.maxProcesses;
      if (!memory && !processes) return { memory, processes };
      return {
        memory,
        processes,
        byProject: { memory: memory && !ownMemoryCap && projectMemoryCap, processes: processes && !ownProcessCap },
      };
    },
    async remove() {
      await removeDirs(leafDirs, [...unique(project), ...unique(base)], () => killAll(dialect, leafDirs));
    },
  };
}

function under(dirs: Dirs, name: string): Dirs {
  return Object.fromEntries(CONTROLLERS.map((c) => [c, path.join(dirs[c], name)])) as Dirs;
}

/** The distinct folders, memory's first: v2 has one for all controllers. */
function unique(dirs: Dirs): string[] {
  return [...new Set(CONTROLLERS.map((c) => dirs[c]))];
}

function stepError(message: string, cause: NodeJS.ErrnoException): Error {
  return Object.assign(new Error(`${message} (${cause.code ?? cause.message})`, { cause }), { code: cause.code });
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

/** A counter's value; undefined where the kernel has no such file. */
async function counter(dirs: Dirs, which: Counter): Promise<number | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dirs[which.controller], which.file), 'utf8');
  } catch {
    return undefined;
  }
  if (which.key === undefined) return Number(text.trim()) || 0;
  const match = new RegExp(`^${which.key} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

// A charge that fails at a limit leaves usage within a charge batch (256 KiB) of it.
const NEAR_CAP_BYTES = 1024 ** 2;

function nearCap(peak: number | undefined, cap: number): boolean {
  return peak !== undefined && peak >= cap - NEAR_CAP_BYTES;
}

async function killAll(dialect: Dialect, dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    // cgroup.kill takes the whole cgroup at once, forks in flight included; a pid list can miss those.
    if (dialect.killFile && (await exists(path.join(dir, dialect.killFile)))) {
      const killed = await fs.writeFile(path.join(dir, dialect.killFile), '1').then(() => true, () => false);
      if (killed) continue;
    }
    const text = await fs.readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const pid of text.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}

// A cgroup cannot be removed while a process in it is unreaped, and bwrap leaves its namespace's init for
// the host's init to reap (bwrap exits on the command's status without waiting for it). That usually takes
// milliseconds but can take seconds, so what is still there after a short wait is retried in the background.
// The project's and the vibn folder go once the command's are gone, if nothing else is in them (else EBUSY).
async function removeDirs(dirs: string[], parents: string[], kill?: () => Promise<void>): Promise<void> {
  let left = dirs;
  for (let attempt = 0; attempt < 20 && left.length > 0; attempt += 1) {
    if (attempt > 0) await delay(100);
    await kill?.();
    left = await withoutRemoved(left);
  }
  if (left.length === 0) await withoutRemoved(parents);
  else void removeLater(left, parents, kill);
}

async function removeLater(dirs: string[], parents: string[], kill?: () => Promise<void>): Promise<void> {
  let left = dirs;
  for (let attempt = 0; attempt < 60 && left.length > 0; attempt += 1) {
    await delay(1_000, undefined, { ref: false });
    await kill?.();
    left = await withoutRemoved(left);
  }
  if (left.length === 0) await withoutRemoved(parents);
}

/** Removes what it can of `dirs` and returns the rest. */
async function withoutRemoved(dirs: string[]): Promise<string[]> {
  const left: string[] = [];
  for (const dir of dirs) {
    try {
      await fs.rmdir(dir);
    } catch (error) {
      // ENOTDIR: a path through a file, where nothing was made.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') left.push(dir);
    }
  }
  return left;
}
