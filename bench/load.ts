/**
 * bench:load — many founders at once. N requests (one scripted task each, whose agent works a fixed time) are
 * sent concurrently through the real API process, confirmed the moment their plan card shows, and followed to
 * their deploy, on a Temporal dev server and Postgres with one or more worker processes on one task queue,
 * while watchers follow some conversations on /api/stream. Prints markdown tables: throughput and latency,
 * CPU and memory per process, Postgres connections, history lengths, how the workers shared the tasks, the
 * stream's latency, and what limits scale.
 *
 *   npm run bench:load                  200 requests (one project each), 500 watchers on 50 conversations, 2 then 1 worker
 *   npm run bench:load -- --small       20 requests, 50 watchers on 5 conversations, 2 workers (CI)
 *   options: --requests N --projects N --workers 2,1 --watchers N --conversations N --work-ms N
 *
 * Exits 0 only when every request of every run completed.
 */
import { loadConfig } from '../lib/config.js';
import { parseArgs } from 'node:util';
import { oneTaskScenario } from '../test/helpers/scenarios.js';
import { openWatchers, runFounder, type Api, type Latencies } from './load-clients.js';
import { readHistories } from './load-histories.js';
import { databaseTable, historyTable, retryTable, limitsParagraph, requestTable, resourceTable, streamTable, summarise, workerTable, type RunResult } from './load-report.js';
import { startSampler, type Watched } from './load-sampler.js';
import { startLoadStack } from './load-stack.js';
import { readTimeline, timelineTable } from './load-timeline.js';

const { values: args } = parseArgs({
  options: {
    small: { type: 'boolean', default: false },
    requests: { type: 'string' },
    projects: { type: 'string' },
    workers: { type: 'string' },
    watchers: { type: 'string' },
    conversations: { type: 'string' },
    'work-ms': { type: 'string' },
  },
});

const preset = args.small
  ? { requests: 20, workers: [2], watchers: 50, conversations: 5, deadlineMs: 90_000 }
  : { requests: 200, workers: [2, 1], watchers: 500, conversations: 50, deadlineMs: 20 * 60_000 };
const settings = {
  requests: Number(args.requests ?? preset.requests),
  // One project per founder by default, as 200 founders would have; fewer piles requests onto each project's lock.
  projects: Number(args.projects ?? args.requests ?? preset.requests),
  workers: args.workers ? args.workers.split(',').map(Number) : preset.workers,
  watchers: Number(args.watchers ?? preset.watchers),
  conversations: Number(args.conversations ?? preset.conversations),
  workMs: Number(args['work-ms'] ?? 1_000),
  deadlineMs: preset.deadlineMs,
};

async function runOnce(workers: number): Promise<RunResult> {
  const { requests, projects, watchers: watcherCount, conversations, workMs } = settings;
  // One scenario per request, so each writes its own file and requests of one project never conflict.
  const scenarios = Array.from({ length: requests }, (_, i) => oneTaskScenario(`load-${i}`, { delayMs: workMs }));
  const stack = await startLoadStack({ scenarios, workers, projects });
  try {
    const api: Api = async (method, route, body) => {
      const res = await fetch(`${stack.baseUrl}${route}`, {
        method,
        headers: { authorization: `Bearer ${stack.adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: await res.json() };
    };
    const watchers = await openWatchers(stack.baseUrl, stack.adminToken, watcherCount);
    const perConversation = conversations > 0 ? Math.floor(watcherCount / conversations) : 0;
    const every = Math.max(1, Math.floor(requests / conversations));

    const watched: Watched[] = [
      ...stack.pids.workers.map((w) => ({ label: w.identity, pid: w.pid, children: true })),
      { label: 'api', pid: stack.pids.api, children: true },
      ...(stack.pids.temporal ? [{ label: 'temporal dev server', pid: stack.pids.temporal }] : []),
      { label: 'postgres (every backend on the server)', match: (comm: string) => comm === 'postgres' },
      { label: 'bench clients (this process)', pid: process.pid },
    ];
    const sampler = startSampler(watched, stack.databaseUrl);
    const founderLatencies: Latencies = [];
    const deadline = Date.now() + settings.deadlineMs;
    process.stderr.write(`bench:load: ${requests} requests, ${workers} worker(s), ${watcherCount} watchers…\n`);
    const times = await Promise.all(
      Array.from({ length: requests }, (_, i) =>
        runFounder({
          api,
          baseUrl: stack.baseUrl,
          token: stack.adminToken,
          projectId: stack.projectIds[i % projects]!,
          text: `load-${i}`,
          deadline,
          latencies: founderLatencies,
          onConversation: (id) => {
            const slot = i / every;
            if (i % every === 0 && slot < conversations) watchers.follow(id, slot * perConversation, (slot + 1) * perConversation);
          },
        }),
      ),
    );
    const samples = await sampler.stop();
    watchers.close();
    const histories = await readHistories(stack.client);
    const timeline = await readTimeline(stack.databaseUrl, times);
    const reports = await stack.stop();
    return {
      workers,
      requests,
      projects,
      workMs,
      times,
      samples,
      histories,
      reports,
      timeline,
      poolBound: loadConfig().worker.dbPoolSize * workers + 11,
      stream: { founders: founderLatencies, watchers: watchers.latencies, watcherCount: perConversation * conversations, conversations, errors: watchers.errors() },
    };
  } catch (err) {
    await stack.stop().catch(() => undefined);
    throw err;
  }
}

async function main() {
  const started = Date.now();
  const runs: RunResult[] = [];
  for (const workers of settings.workers) runs.push(await runOnce(workers));

  const out: string[] = [];
  out.push(`\n## bench:load — ${settings.requests} concurrent requests, one scripted task of ${settings.workMs} ms each\n`);
  out.push(requestTable(runs));
  for (const run of runs) {
    out.push(`\n### ${run.workers} worker process${run.workers > 1 ? 'es' : ''}: resources over the load (${run.samples.seconds.toFixed(0)} s)\n`);
    out.push(resourceTable(run));
    out.push('\nWhere the time goes after the confirm (from the session events):\n');
    out.push(timelineTable(run.timeline));
    out.push('');
    out.push(databaseTable(run));
    out.push('');
    out.push(retryTable(run));
    out.push('\nTasks by worker (from the workflow histories; activity counts and CPU as each process reported at exit):\n');
    out.push(workerTable(run));
    out.push('\nTemporal history length per workflow:\n');
    out.push(historyTable(run));
  }
  out.push(`\n### Stream latency during the load: commit in Postgres (session_events.created_at) to arrival at a WebSocket client\n`);
  out.push(streamTable(runs));
  out.push('\n### What limits scale\n');
  out.push(limitsParagraph(runs));
  const failures = runs.flatMap((r) => summarise(r).failed.map((t) => `${r.workers} worker(s): ${t.conversationId ?? 'no conversation'} ${t.status ?? 'unfinished'}: ${t.error ?? ''}`));
  const streamErrors = runs.reduce((a, r) => a + r.stream.errors, 0);
  out.push(`\n(${((Date.now() - started) / 1000).toFixed(0)} s in all; ${failures.length} request(s) did not complete; ${streamErrors} stream error frame(s).)`);
  console.log(out.join('\n'));
  for (const f of failures.slice(0, 20)) console.error(`not completed: ${f}`);
  process.exit(failures.length === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
