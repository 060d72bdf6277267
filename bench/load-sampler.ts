/**
 * What bench:load watches while the load runs: CPU and memory of each process of the stack, read from /proc
 * (so a worker is measured from outside, as an operator's `top` would), the machine's CPU, and the Postgres
 * connections of the bench's database from pg_stat_activity.
 */
import fs from 'node:fs/promises';
import pg from 'pg';
import { statFields } from '../lib/process-state.js';

/** Kernel clock ticks per second (`getconf CLK_TCK`); 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

/** A process, or a family of processes found by a test on their command line (Postgres backends come and go). */
export type Watched = {
  label: string;
  pid?: number;
  match?: (comm: string, cmdline: string) => boolean;
  /** Count the CPU of children it waited for (a worker's git commands); not for Postgres, whose exited backends would count twice. */
  children?: boolean;
};

type ProcessSample = { ticks: number; childTicks: number; rssKb: number };

async function readProcess(pid: number, children: boolean): Promise<ProcessSample | undefined> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = statFields(stat);
    // utime + stime, plus the CPU of children it waited for: a worker's git commands are its own work.
    const childTicks = children ? Number(fields[13]) + Number(fields[14]) : 0;
    const ticks = Number(fields[11]) + Number(fields[12]) + childTicks;
    const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { ticks, childTicks, rssKb };
  } catch {
    return undefined;
  }
}

/** Pids whose command name or line passes `match`. */
export async function findProcesses(match: (comm: string, cmdline: string) => boolean): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = (await fs.readFile(`/proc/${entry}/comm`, 'utf8')).trim();
      const cmdline = (await fs.readFile(`/proc/${entry}/cmdline`, 'utf8')).replace(/\0/g, ' ');
      if (match(comm, cmdline)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

async function machineTicks(): Promise<{ busy: number; total: number }> {
  const line = (await fs.readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1, 9).map(Number) as number[];
  const total = user! + nice! + system! + idle! + iowait! + irq! + softirq! + steal!;
  return { busy: total - idle! - iowait!, total };
}

export type ProcessUsage = { label: string; processes: number; cpuSeconds: number; childCpuSeconds: number; cpuPercent: number; peakCpuPercent: number; peakRssMb: number };
export type LoadSamples = {
  seconds: number;
  machineCpuPercent: number;
  processes: ProcessUsage[];
  connections: { max: number; maxActive: number; maxIdleInTransaction: number; maxLockWaiters: number };
};

/**
 * Starts sampling every `everyMs` until `stop()`. CPU is the sum over a family's processes of their CPU ticks
 * gained while sampled, in percent of one core (200 % is two cores busy); peak CPU is the busiest interval.
 */
export function startSampler(watched: Watched[], databaseUrl: string, everyMs = 500) {
  const db = new pg.Client({ connectionString: databaseUrl });
  const state = watched.map((w) => ({ w, last: new Map<number, number>(), lastChild: new Map<number, number>(), ticks: 0, childTicks: 0, peakPercent: 0, peakRssKb: 0, pids: new Set<number>() }));
  const connections = { max: 0, maxActive: 0, maxIdleInTransaction: 0, maxLockWaiters: 0 };
  let stopped = false;
  const startedAt = performance.now();
  let machineStart: { busy: number; total: number } | undefined;

  const sampleOnce = async (intervalMs: number) => {
    for (const s of state) {
      const pids = s.w.pid ? [s.w.pid] : await findProcesses(s.w.match!);
      let gained = 0;
      let rssKb = 0;
      for (const pid of pids) {
        const sample = await readProcess(pid, s.w.children === true);
        if (!sample) continue;
        s.pids.add(pid);
        const before = s.last.get(pid);
        if (before !== undefined) gained += sample.ticks - before;
        const childBefore = s.lastChild.get(pid);
        if (childBefore !== undefined) s.childTicks += sample.childTicks - childBefore;
        s.last.set(pid, sample.ticks);
        s.lastChild.set(pid, sample.childTicks);
        rssKb += sample.rssKb;
      }
      s.ticks += gained;
      if (intervalMs > 0) s.peakPercent = Math.max(s.peakPercent, (gained / TICKS_PER_SECOND / (intervalMs / 1000)) * 100);
      s.peakRssKb = Math.max(s.peakRssKb, rssKb);
    }
    const { rows } = await db.query<{ total: number; active: number; idle_tx: number; waiting: number }>(
      `select count(*)::int as total,
              count(*) filter (where state = 'active')::int as active,
              count(*) filter (where state = 'idle in transaction')::int as idle_tx,
              count(*) filter (where wait_event_type = 'Lock' and wait_event = 'advisory')::int as waiting
         from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
    );
    connections.max = Math.max(connections.max, rows[0]!.total);
    connections.maxActive = Math.max(connections.maxActive, rows[0]!.active);
    connections.maxIdleInTransaction = Math.max(connections.maxIdleInTransaction, rows[0]!.idle_tx);
    connections.maxLockWaiters = Math.max(connections.maxLockWaiters, rows[0]!.waiting);
  };

  const loop = (async () => {
    await db.connect();
    machineStart = await machineTicks();
    await sampleOnce(0);
    let last = performance.now();
    while (!stopped) {
      await new Promise((r) => setTimeout(r, everyMs));
      const now = performance.now();
      await sampleOnce(now - last);
      last = now;
    }
  })();

  return {
    async stop(): Promise<LoadSamples> {
      stopped = true;
      await loop;
      const machineEnd = await machineTicks();
      await db.end();
      const seconds = (performance.now() - startedAt) / 1000;
      return {
        seconds,
        machineCpuPercent: ((machineEnd.busy - machineStart!.busy) / (machineEnd.total - machineStart!.total)) * 100,
        processes: state.map((s) => ({
          label: s.w.label,
          processes: s.pids.size,
          cpuSeconds: s.ticks / TICKS_PER_SECOND,
          childCpuSeconds: s.childTicks / TICKS_PER_SECOND,
          cpuPercent: (s.ticks / TICKS_PER_SECOND / seconds) * 100,
          peakCpuPercent: s.peakPercent,
          peakRssMb: s.peakRssKb / 1024,
        })),
        connections,
      };
    },
  };
}
