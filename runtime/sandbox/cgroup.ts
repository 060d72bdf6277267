/**
 * A cgroup v1 memory and pids cap for one command, where the worker may create cgroups. The cap covers the
 * whole command (every process, thread and tmpfs page it makes), which rlimits cannot: RLIMIT_AS is per
 * process, and RLIMIT_NPROC does nothing when the worker is root, because the sandbox's uid is root outside
 * and the kernel exempts root from it. The cgroups are made under the worker's own (`…/vibn/<id>`), so the
 * command stays inside whatever limits the worker itself runs under.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export type CgroupLimits = { memoryBytes: number; maxProcesses: number };

/** Which caps stopped something during the command. */
export type LimitsHit = { memory: boolean; processes: boolean };

/** A command's cgroups: made before it starts, removed after it ends. */
export type CommandCgroup = {
  /** An argv prefix that moves itself into the cgroups, then execs the rest of the argv. */
  enter: string[];
  limitsHit(): Promise<LimitsHit>;
  /** Kills anything left in the cgroups and removes them. Never throws. */
  remove(): Promise<void>;
};

type Parents = { memory: string; pids: string };

const cgroupRoot = '/sys/fs/cgroup';
let parentsOnce: Promise<Parents | undefined> | undefined;

/** The folders command cgroups are made in, or undefined where cgroup v1 memory and pids are not writable. */
export function cgroupParents(): Promise<Parents | undefined> {
  parentsOnce ??= findParents();
  return parentsOnce;
}

async function findParents(): Promise<Parents | undefined> {
  try {
    const own = new Map<string, string>();
    for (const line of (await fs.readFile('/proc/self/cgroup', 'utf8')).split('\n')) {
      const [, controllers, where] = line.split(':');
      for (const controller of controllers?.split(',') ?? []) if (where !== undefined) own.set(controller, where);
    }
    const memoryOwn = own.get('memory');
    const pidsOwn = own.get('pids');
    if (memoryOwn === undefined || pidsOwn === undefined) return undefined;
    const parents = {
      memory: path.join(cgroupRoot, 'memory', memoryOwn, 'vibn'),
      pids: path.join(cgroupRoot, 'pids', pidsOwn, 'vibn'),
    };
    await fs.mkdir(parents.memory, { recursive: true });
    await fs.mkdir(parents.pids, { recursive: true });
    return parents;
  } catch {
    return undefined;
  }
}

/** Makes and configures the cgroups for one command, or returns undefined where that is not possible. */
export async function createCommandCgroup(limits: CgroupLimits): Promise<CommandCgroup | undefined> {
  const parents = await cgroupParents();
  if (!parents) return undefined;
  const id = randomUUID();
  const memory = path.join(parents.memory, id);
  const pids = path.join(parents.pids, id);
  try {
    await fs.mkdir(memory);
    await fs.mkdir(pids);
    await fs.writeFile(path.join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    // With swap on, memory + swap gets the same cap, so swapping out does not stretch the limit.
    await fs.writeFile(path.join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(() => {});
    await fs.writeFile(path.join(pids, 'pids.max'), String(limits.maxProcesses));
  } catch {
    await removeDirs([memory, pids]);
    return undefined;
  }
  return {
    // The shell joins both cgroups before exec, so the command's first fork is already counted.
    enter: [
      '/bin/sh',
      '-c',
      'echo $$ > "$1" && echo $$ > "$2" && shift 2 && exec "$@"',
      'vibn-cgroup',
      path.join(memory, 'cgroup.procs'),
      path.join(pids, 'cgroup.procs'),
    ],
    async limitsHit() {
      const oom = await fs.readFile(path.join(memory, 'memory.oom_control'), 'utf8').catch(() => '');
      const events = await fs.readFile(path.join(pids, 'pids.events'), 'utf8').catch(() => '');
      return { memory: counter(oom, 'oom_kill') > 0, processes: counter(events, 'max') > 0 };
    },
    async remove() {
      await killAll(path.join(pids, 'cgroup.procs'));
      await removeDirs([memory, pids]);
    },
  };
}

function counter(text: string, name: string): number {
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

async function killAll(procs: string): Promise<void> {
  const text = await fs.readFile(procs, 'utf8').catch(() => '');
  for (const pid of text.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

// A cgroup cannot be removed while a process in it is unreaped, and bwrap leaves its namespace's init for
// the host's init to reap (bwrap exits on the command's status without waiting for it). That usually takes
// milliseconds but can take seconds, so what is still there after a short wait is retried in the background.
async function removeDirs(dirs: string[]): Promise<void> {
  let left = dirs;
  for (let attempt = 0; attempt < 20 && left.length > 0; attempt += 1) {
    if (attempt > 0) await delay(100);
    left = await withoutRemoved(left);
  }
  if (left.length > 0) void removeLater(left);
}

async function removeLater(dirs: string[]): Promise<void> {
  let left = dirs;
  for (let attempt = 0; attempt < 60 && left.length > 0; attempt += 1) {
    await delay(1_000, undefined, { ref: false });
    left = await withoutRemoved(left);
  }
}

/** Removes what it can of `dirs` and returns the rest. */
async function withoutRemoved(dirs: string[]): Promise<string[]> {
  const left: string[] = [];
  for (const dir of dirs) {
    try {
      await fs.rmdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') left.push(dir);
    }
  }
  return left;
}
