/**
 * What cgroup v1 and cgroup v2 call the same things. Everything else in the cgroup code is written once over
 * this table: which file caps memory, swap, processes and CPU, and which counters say a cap was reached.
 */

/** The controllers our bounds need, each a hierarchy of its own in v1, one tree in v2. */
export const CONTROLLERS = ['memory', 'pids', 'cpu'] as const;
export type Controller = (typeof CONTROLLERS)[number];

/** The caps one cgroup gets: a project's totals or one command's own. */
export type Caps = {
  memoryBytes: number;
  maxProcesses: number;
  /** Relative CPU weight against sibling cgroups, on v2's scale (1–10000, 100 is even). Undefined: untouched. */
  cpuWeight?: number;
};

/** One file to write. `when`: 'always' must succeed, 'if-present' may be absent, 'attempt' may fail. */
export type Setting = { controller: Controller; file: string; value: string; when: 'always' | 'if-present' | 'attempt' };

/** A number in a cgroup file: the whole file, or the line `key <n>` of a keyed file. */
export type Counter = { controller: Controller; file: string; key?: string };

export type Dialect = {
  version: 1 | 2;
  /** The files that cap a cgroup, in the order they are written. */
  settings(caps: Caps): Setting[];
  /** Processes of this cgroup killed by the OOM killer, whichever ancestor's limit made it pick them. */
  oomKills: Counter;
  /** The most memory this cgroup ever held (failcnt would say which limit was reached, but Linux 6.18 no longer counts it for v1). */
  memoryPeak: Counter;
  /** Forks refused in this cgroup (v1, and v2 before 6.13) or by its own limit (v2 since): see cgroup.ts. */
  forkFailures: Counter;
  /** The most processes this cgroup ever held at once. */
  processPeak: Counter;
  /** A file that kills everything in the cgroup when '1' is written, where the kernel has one. */
  killFile?: string;
};

// Memory + swap gets the memory cap, so swapping out does not stretch it. In v1 memsw may never be below the
// memory limit, so it is tried first (fails when lowering), then memory, then memsw for real. Kernels before
// 5.16 could have use_hierarchy off, and a project's total would then not count its commands.
const v1: Dialect = {
  version: 1,
  settings: (caps) => [
    { controller: 'memory', file: 'memory.use_hierarchy', value: '1', when: 'if-present' },
    { controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: String(caps.memoryBytes), when: 'attempt' },
    { controller: 'memory', file: 'memory.limit_in_bytes', value: String(caps.memoryBytes), when: 'always' },
    { controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: String(caps.memoryBytes), when: 'if-present' },
    { controller: 'pids', file: 'pids.max', value: String(caps.maxProcesses), when: 'always' },
    // cpu.shares is 1024 for an even share where v2's weight is 100; the kernel's minimum is 2.
    ...(caps.cpuWeight === undefined
      ? []
      : [{ controller: 'cpu' as const, file: 'cpu.shares', value: String(Math.max(2, Math.round((caps.cpuWeight * 1024) / 100))), when: 'always' as const }]),
  ],
  oomKills: { controller: 'memory', file: 'memory.oom_control', key: 'oom_kill' },
  memoryPeak: { controller: 'memory', file: 'memory.max_usage_in_bytes' },
  forkFailures: { controller: 'pids', file: 'pids.events', key: 'max' },
  processPeak: { controller: 'pids', file: 'pids.peak' },
};

// v2 has no memory + swap limit: swap gets its own, and 0 keeps a command from swapping at all.
const v2: Dialect = {
  version: 2,
  settings: (caps) => [
    { controller: 'memory', file: 'memory.max', value: String(caps.memoryBytes), when: 'always' },
    { controller: 'memory', file: 'memory.swap.max', value: '0', when: 'if-present' },
    { controller: 'pids', file: 'pids.max', value: String(caps.maxProcesses), when: 'always' },
    ...(caps.cpuWeight === undefined ? [] : [{ controller: 'cpu' as const, file: 'cpu.weight', value: String(caps.cpuWeight), when: 'always' as const }]),
  ],
  oomKills: { controller: 'memory', file: 'memory.events', key: 'oom_kill' },
  memoryPeak: { controller: 'memory', file: 'memory.peak' },
  forkFailures: { controller: 'pids', file: 'pids.events', key: 'max' },
  processPeak: { controller: 'pids', file: 'pids.peak' },
  killFile: 'cgroup.kill',
};

export const DIALECTS = { 1: v1, 2: v2 } as const;
