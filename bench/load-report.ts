/**
 * bench:load's tables and its "what limits scale" paragraph, computed from one or more runs' measurements.
 */
import os from 'node:os';
import type { RequestTimes } from './load-clients.js';
import type { HistoryStats } from './load-histories.js';
import { fixed, pct, sec, table } from './load-report-format.js';
import type { Milestone } from './load-timeline.js';
import type { LoadSamples } from './load-sampler.js';

/** Printed by each worker process on stdout before it exits, prefixed so the bench can tell it from other output. */
export const REPORT_PREFIX = 'LOAD-WORKER-REPORT ';

/** What one worker process handled and spent, as it reports itself at exit. */
export type WorkerReport = {
  identity: string;
  pid: number;
  /** Activity executions by activity name, as this process ran them. */
  activities: Record<string, number>;
  cpuUserMs: number;
  cpuSystemMs: number;
  maxRssMb: number;
};

export type RunResult = {
  workers: number;
  requests: number;
  projects: number;
  workMs: number;
  times: RequestTimes[];
  samples: LoadSamples;
  histories: HistoryStats;
  reports: WorkerReport[];
  timeline: Milestone[];
  /** Postgres connections the stack may open at most: each worker's pool (WORKER_DB_POOL_SIZE), 10 for the API's pool plus its LISTEN. */
  poolBound: number;
  stream: { founders: number[]; watchers: number[]; watcherCount: number; conversations: number; errors: number };
};

/** Derived figures of one run, used by the tables and by the paragraph. */
export function summarise(run: RunResult) {
  const completed = run.times.filter((t) => t.status === 'completed');
  const start = Math.min(...run.times.map((t) => t.postedAt));
  const end = Math.max(...completed.map((t) => t.endedAt!));
  const wallMs = end - start;
  const deployed = completed.filter((t) => t.deployedAt && t.confirmedAt).map((t) => t.deployedAt! - t.confirmedAt!);
  return {
    completed: completed.length,
    failed: run.times.filter((t) => t.status !== 'completed'),
    wallMs,
    perMinute: completed.length / (wallMs / 60_000),
    toPlan: pct(completed.filter((t) => t.planShownAt).map((t) => t.planShownAt! - t.postedAt)),
    toDeploy: pct(deployed),
    beyondWork: pct(deployed.map((ms) => ms - run.workMs)),
    toEnd: pct(completed.map((t) => t.endedAt! - t.confirmedAt!)),
  };
}

export function requestTable(runs: RunResult[]): string {
  const rows = runs.map((run) => {
    const s = summarise(run);
    const p = (x: { p50: number; p95: number; p99: number }) => `${sec(x.p50)} / ${sec(x.p95)} / ${sec(x.p99)}`;
    return [
      `${run.workers}`,
      `${run.requests} over ${run.projects} projects`,
      `${s.completed}/${run.requests}`,
      sec(s.wallMs),
      fixed(s.perMinute, 1),
      p(s.toPlan),
      p(s.toDeploy),
      p(s.beyondWork),
      p(s.toEnd),
    ];
  });
  return table(
    ['workers', 'requests', 'completed', 'wall time', 'completed / min', 'POST → plan card p50/p95/p99', 'confirm → deployed p50/p95/p99', 'beyond the scripted work p50/p95/p99', 'confirm → completed p50/p95/p99'],
    rows,
  );
}

export function resourceTable(run: RunResult): string {
  const rows = run.samples.processes.map((p) => [
    p.label,
    String(p.processes),
    fixed(p.cpuSeconds, 1),
    p.childCpuSeconds > 0 ? fixed(p.childCpuSeconds, 1) : '–',
    `${fixed(p.cpuPercent)} %`,
    `${fixed(p.peakCpuPercent)} %`,
    fixed(p.peakRssMb),
  ]);
  const m = machineShares(run);
  rows.push(['other processes on the machine', '–', fixed(m.otherSeconds, 1), '–', `${fixed((m.otherSeconds / run.samples.seconds) * 100)} %`, '–', '–']);
  rows.push([`whole machine (${m.cores} cores)`, '–', fixed(m.busySeconds, 1), '–', `${fixed(run.samples.machineCpuPercent)} % of all cores busy`, '–', '–']);
  return table(['process', 'pids', 'CPU s', 'of which child processes (git)', 'mean CPU (100 % = one core)', 'busiest 0.5 s', 'peak RSS MB'], rows);
}

/** The machine's busy core-seconds over the run, the stack's part of them and what other processes took. */
function machineShares(run: RunResult) {
  const cores = os.cpus().length;
  const busySeconds = (run.samples.machineCpuPercent / 100) * cores * run.samples.seconds;
  const stackSeconds = run.samples.processes.reduce((a, p) => a + p.cpuSeconds, 0);
  return { cores, busySeconds, stackSeconds, otherSeconds: Math.max(0, busySeconds - stackSeconds) };
}

export function workerTable(run: RunResult): string {
  const totals = { wf: 0, act: 0 };
  for (const [, v] of run.histories.byWorker) (totals.wf += v.workflowTasks), (totals.act += v.activityTasks);
  const rows = [...run.histories.byWorker.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([identity, v]) => {
      const report = run.reports.find((r) => r.identity === identity);
      const own = report ? Object.values(report.activities).reduce((a, b) => a + b, 0) : NaN;
      return [
        identity,
        `${v.workflowTasks} (${fixed((v.workflowTasks / totals.wf) * 100)} %)`,
        `${v.activityTasks} (${fixed((v.activityTasks / totals.act) * 100)} %)`,
        fixed(own),
        report ? fixed((report.cpuUserMs + report.cpuSystemMs) / 1000, 1) : '–',
        report ? fixed(report.maxRssMb) : '–',
      ];
    });
  return table(['worker', 'workflow tasks (histories)', 'activity tasks (histories; local activities aside)', 'activities (own count)', 'CPU s (own)', 'max RSS MB (own)'], rows);
}

export function historyTable(run: RunResult): string {
  return table(
    ['workflow', 'runs', 'history events p50', 'mean', 'max'],
    run.histories.byType.map((h) => [h.type, String(h.count), String(h.p50), fixed(h.mean, 1), String(h.max)]),
  );
}

/** Activities Temporal had to run again, by why their last attempt failed. */
export function retryTable(run: RunResult): string {
  const rows = [...run.histories.retried.entries()].sort((a, b) => b[1] - a[1]).map(([reason, n]) => [reason.replace(/\|/g, '/'), String(n)]);
  rows.push(['workflow tasks failed or timed out', String(run.histories.workflowTaskFailures)]);
  return table(['retried activities: reason of the last failure', 'activities'], rows);
}

export function databaseTable(run: RunResult): string {
  const c = run.samples.connections;
  return table(
    ['Postgres connections (this database)', 'value'],
    [
      ['most open at once', String(c.max)],
      ['most running a query at once', String(c.maxActive)],
      ['most idle in a transaction at once (held, e.g. by a workspace lock across git work)', String(c.maxIdleInTransaction)],
      ['most waiting on an advisory lock (workspace or event stream)', String(c.maxLockWaiters)],
      ['bound: the worker pools + 10 API pool + 1 LISTEN', String(run.poolBound)],
    ],
  );
}

export function streamTable(runs: RunResult[]): string {
  const rows: string[][] = [];
  for (const run of runs) {
    const line = (who: string, clients: number, conversations: number, latencies: number[]) => {
      const p = pct(latencies);
      rows.push([`${run.workers}`, who, String(clients), String(conversations), String(p.n), fixed(p.p50), fixed(p.p95), fixed(p.p99), fixed(p.max)]);
    };
    if (run.stream.watcherCount > 0) line('watchers', run.stream.watcherCount, run.stream.conversations, run.stream.watchers);
    line("founders' own consoles", run.requests, run.requests, run.stream.founders);
  }
  return table(['workers', 'subscribers', 'sockets', 'conversations', 'events timed', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'], rows);
}

/** The paragraph: which resource ran out first, from the numbers above, and how the stack grows past it. */
export function limitsParagraph(runs: RunResult[]): string {
  const run = runs.find((r) => r.workers === Math.max(...runs.map((x) => x.workers)))!;
  const s = summarise(run);
  const procs = [...run.samples.processes].sort((a, b) => b.cpuSeconds - a.cpuSeconds);
  const totalCpu = procs.reduce((a, p) => a + p.cpuSeconds, 0);
  const shares = procs.map((p) => `${p.label} ${fixed((p.cpuSeconds / totalCpu) * 100)} %`).join(', ');
  const workerCpu = procs.filter((p) => p.label.startsWith('worker')).reduce((a, p) => a + p.cpuSeconds, 0);
  const c = run.samples.connections;
  const parts: string[] = [];
  const machine = run.samples.machineCpuPercent;
  const m = machineShares(run);
  const others = m.otherSeconds / m.busySeconds > 0.1 ? ` (the machine was shared: other processes took ${fixed((m.otherSeconds / m.busySeconds) * 100)} % of its busy time, so these figures are pessimistic)` : '';
  parts.push(
    machine >= 85
      ? `The machine's CPU is what runs out first: its ${m.cores} cores were ${fixed(machine)} % busy over the run${others}.`
      : `The machine's ${m.cores} cores were ${fixed(machine)} % busy over the run${others}, so CPU alone did not cap it.`,
  );
  parts.push(`Of the CPU the stack spent: ${shares}; the workers together ${fixed((workerCpu / totalCpu) * 100)} %.`);
  const serverCpu = procs.filter((p) => !p.label.startsWith('bench')).reduce((a, p) => a + p.cpuSeconds, 0);
  const perRequest = serverCpu / s.completed;
  const gitShare = procs.reduce((a, p) => a + p.childCpuSeconds, 0) / serverCpu;
  parts.push(
    `A request cost ${fixed(perRequest, 2)} core-seconds of the stack (bench clients aside; ${fixed(gitShare * 100)} % of it in git child processes), ` +
      `so ${m.cores} cores given wholly to the stack would top out near ${fixed((m.cores * 60) / perRequest)} requests a minute of this shape.`,
  );
  parts.push(
    `Beyond its ${run.workMs} ms of scripted work, a request took ${sec(s.beyondWork.p50)} at the median from confirm to deploy (p99 ${sec(s.beyondWork.p99)}): ` +
      'queueing for workflow and activity slots, model/tool/git activities, and workflow tasks on the dev server, which keeps every history in one SQLite database.',
  );
  parts.push(
    c.max >= run.poolBound - 1
      ? `Every pool was fully checked out at some moment (${c.max} of ${run.poolBound} connections open), yet Postgres ran at most ${c.maxActive} queries at once ` +
          `(at most ${c.maxIdleInTransaction} idle in a transaction): connections were held more than used, so the pools' size, not Postgres, is the narrow point there.`
      : `Postgres connections peaked at ${c.max} of the ${run.poolBound} the pools allow, with at most ${c.maxActive} running a query: they did not limit.`,
  );
  const poolTimeouts = [...run.histories.retried.entries()].filter(([reason]) => /timeout exceeded when trying to connect/.test(reason)).reduce((a, [, n]) => a + n, 0);
  if (poolTimeouts > 0) {
    parts.push(
      `Yet ${poolTimeouts} activities waited more than 10 s for a connection from their worker's pool (10 connections, against up to 100 activities a worker runs at once) ` +
        'and were retried by Temporal: under load the pool, not Postgres, is the narrow point, the more so as the workspace lock keeps a pooled connection ' +
        'in a transaction for as long as its git work takes.',
    );
  }
  if (c.maxLockWaiters > 0) {
    const perProject = run.requests / run.projects;
    parts.push(
      perProject > 1
        ? `Up to ${c.maxLockWaiters} connections waited at once on an advisory lock: with ${fixed(perProject, 1)} requests per project, each project's workspace ` +
            'lock serialises its worktree, merge and cleanup steps, and each waiter holds a pooled connection while it waits.'
        : `Up to ${c.maxLockWaiters} connections waited at once on an advisory lock; with one request per project that is a conversation's event-stream lock ` +
            '(its writers take turns for contiguous seqs), not the workspace lock, which only matters when one project has several requests at once.',
    );
  }
  const single = runs.find((r) => r.workers === 1);
  if (single && single !== run) {
    const one = summarise(single);
    parts.push(
      `One worker completed ${fixed(one.perMinute, 1)} requests a minute, two ${fixed(s.perMinute, 1)}` +
        (s.perMinute > one.perMinute * 1.15
          ? ': the second process took about half the tasks and added throughput.'
          : ': the second process took its share of the tasks (table above), but on this machine both share the same cores with Temporal, Postgres and the API, so it added little.'),
    );
  }
  parts.push(
    'It scales out by adding machines, not by changing code: workers are stateless pollers of one task queue (Temporal spreads workflow and activity tasks ' +
      'over however many poll), and API replicas only start, signal and read, each with its own LISTEN connection for the stream. ' +
      'Against one Temporal cluster on Postgres or Cassandra with more history shards than the dev server\'s single SQLite file, the next limits are Postgres ' +
      'connections (11 per API and WORKER_DB_POOL_SIZE per worker: put PgBouncer in front, or raise max_connections) and, for one busy project, its workspace lock.',
  );
  return parts.join(' ');
}
