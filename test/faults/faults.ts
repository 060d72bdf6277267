/**
 * The faults: each one a real process killed with SIGKILL (and started again, unless another takes over) or a
 * real server misbehaving for a while. `inject` runs when the request reaches the case's point.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DEMO_DEPLOY_COMMAND } from '../../demo/demo-project.js';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic-server.js';
import { anthropicResponder } from '../fakes/scripted-wire.js';
import { loadScenarios } from '../../llm/scenario.js';
import type { FaultStack, Lane } from './stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

/** How long the windowed faults last. */
export const WINDOWS = {
  /** The LLM vendor answers 529 (overloaded) this long: the minute the issue names, within the LLM profile's backoff. */
  overloadMs: ms('FAULTS_OVERLOAD_MS', 60_000),
  /** … and this long when it sends Retry-After: 1 (long enough to outlast the LLM profile's 8 attempts). */
  overloadRetryAfterMs: ms('FAULTS_OVERLOAD_RETRY_AFTER_MS', 15_000),
  /** The git remote refuses pushes this long. */
  refuseMs: ms('FAULTS_REFUSE_MS', 6_000),
  /** Temporal and Postgres stay down this long before they are started again. */
  downMs: ms('FAULTS_DOWN_MS', 2_000),
};

export type CaseContext = {
  stack: FaultStack;
  /** The case's API and workers. */
  lane: Lane;
  dir: string;
  bareDir: string;
  projectId: string;
  conversationId: string;
  workflowId: string;
  /** The workers started for the case, in start order. */
  workers: ChildProcess[];
  /** Processes killed workers had started: the checks want them gone. */
  orphansOfKilled: number[];
  notes: string[];
  /** Measure recovery from now: a windowed fault calls it when the window ends. */
  markFault(): Promise<void>;
  /** Per-fault state made by setUp. */
  state: Record<string, any>;
};

export type Fault = {
  name: string;
  /** What happens, for the report. */
  what: string;
  workers?: number;
  workerEnv?(ctx: CaseContext): Record<string, string>;
  /** Before the project exists: servers, hooks, markers. */
  setUp?(ctx: CaseContext): Promise<void>;
  /** The project's deployer, when the fault needs its own. */
  deploy?(ctx: CaseContext): Record<string, unknown>;
  inject(ctx: CaseContext): Promise<void>;
  tearDown?(ctx: CaseContext): Promise<void>;
  /** A deploy that must end timed out (recorded once) rather than succeed. */
  expectDeploy?: 'timed_out';
  /** The fault hits every lane (Temporal, Postgres): its cases run alone. */
  global?: boolean;
};

/** SIGKILLs one worker; the suite's checks then want every process it had started gone. */
async function kill(ctx: CaseContext, worker: ChildProcess) {
  ctx.orphansOfKilled.push(...(await ctx.lane.killWorker(worker)));
}

/** The worker whose pid is the identity of a pending activity of a running workflow, and that activity. */
async function busyWorker(ctx: CaseContext): Promise<{ worker: ChildProcess; activity: string } | undefined> {
  const byPid = new Map(ctx.workers.filter((w) => w.exitCode === null).map((w) => [w.pid!, w]));
  const deadline = Date.now() + 3_000;
  try {
    for await (const wf of ctx.stack.client.workflow.list({ query: `TaskQueue = '${ctx.lane.taskQueue}' AND ExecutionStatus = 'Running'` })) {
      const d = await ctx.stack.client.workflow.getHandle(wf.workflowId, wf.runId).describe();
      for (const a of d.raw.pendingActivities ?? []) {
        const worker = byPid.get(Number(a.lastWorkerIdentity?.split('@')[0]));
        if (worker) return { worker, activity: a.activityType?.name ?? 'an activity' };
      }
      if (Date.now() > deadline) break;
    }
  } catch (err) {
    // Visibility is best effort: fall back to the first worker.
    ctx.notes.push(`no busy worker found (${(err as Error).message.slice(0, 80)})`);
  }
  return undefined;
}

/** Pending activities of the request's workflow: type and attempt. */
async function pendingActivities(ctx: CaseContext): Promise<Array<{ type: string; attempt: number }>> {
  try {
    const d = await ctx.stack.client.workflow.getHandle(ctx.workflowId).describe();
    return (d.raw.pendingActivities ?? []).map((a) => ({ type: a.activityType?.name ?? '', attempt: a.attempt ?? 0 }));
  } catch {
    return [];
  }
}

/**
 * The Anthropic API (the real SDK against test/fakes/anthropic-server.ts, serving the demo scenario over the
 * wire) answers 529 overloaded for `windowMs` after the fault strikes, with or without a Retry-After header.
 */
function overloaded({ retryAfterSeconds, windowMs }: { retryAfterSeconds?: number; windowMs: number }): Fault {
  const header = retryAfterSeconds === undefined ? 'no Retry-After' : `Retry-After: ${retryAfterSeconds}`;
  return {
    name: retryAfterSeconds === undefined ? 'llm-529' : 'llm-529-retry-after',
    what: `the Anthropic API (real SDK, local wire-level server) answers 529 overloaded for ${windowMs / 1000} s (${header})`,
    workerEnv(ctx) {
      const fake = ctx.state.fake as FakeAnthropic;
      return {
        TIER_A_MODEL: 'anthropic:claude-test',
        TIER_B_MODEL: 'anthropic:claude-test',
        TIER_C_MODEL: 'anthropic:claude-test',
        ANTHROPIC_API_KEY: 'sk-test-faults-not-a-key',
        ANTHROPIC_BASE_URL: fake.baseURL,
        LLM_PRICES: JSON.stringify({ 'claude-test': { inputPerMTok: 3, outputPerMTok: 15, cachedPerMTok: 0.3 } }),
      };
    },
    async setUp(ctx) {
      const referral = (await loadScenarios()).find((s) => s.name === 'referral-program')!;
      const fake = await startFakeAnthropic();
      const wire = anthropicResponder(referral);
      ctx.state.fake = fake;
      ctx.state.overloaded = 0;
      ctx.state.until = 0;
      fake.responder = (body) => {
        if (Date.now() < ctx.state.until) {
          ctx.state.overloaded++;
          return { status: 529, headers: retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) } };
        }
        return wire(body);
      };
    },
    async inject(ctx) {
      ctx.state.until = Date.now() + windowMs;
      await sleep(windowMs);
      ctx.notes.push(`${ctx.state.overloaded} calls answered 529`);
      await ctx.markFault();
    },
    async tearDown(ctx) {
      await (ctx.state.fake as FakeAnthropic | undefined)?.close();
    },
  };
}

export const FAULTS = {
  none: {
    name: 'none',
    what: 'no fault: the undisturbed run every other row is compared with',
    async inject() {},
  },
  'worker-kill': {
    name: 'worker-kill',
    what: 'the only worker is SIGKILLed and a new one started',
    async inject(ctx) {
      const [worker] = ctx.workers;
      await kill(ctx, worker!);
      ctx.workers.push(await ctx.lane.startWorker());
    },
  },
  'worker-pair': {
    name: 'worker-pair',
    what: 'two workers share the queue; the one running the step is SIGKILLed, the other finishes alone',
    workers: 2,
    async inject(ctx) {
      const busy = await busyWorker(ctx);
      ctx.notes.push(busy ? `killed the worker running ${busy.activity}` : 'no pending activity seen: killed the first worker');
      await kill(ctx, busy?.worker ?? ctx.workers[0]!);
    },
  },
  'api-kill': {
    name: 'api-kill',
    what: 'the API is SIGKILLed and restarted on its port while the founder watches the live stream',
    async inject(ctx) {
      await ctx.lane.killApi();
      await ctx.lane.startApi();
    },
  },
  'temporal-kill': {
    name: 'temporal-kill',
    what: 'the Temporal dev server is SIGKILLed, then restarted on the same port and SQLite file',
    global: true,
    async inject(ctx) {
      await ctx.stack.killTemporal();
      await sleep(WINDOWS.downMs);
      await ctx.stack.startTemporal();
    },
  },
  'postgres-kill': {
    name: 'postgres-kill',
    what: "Postgres's postmaster is SIGKILLed, then started again on the same data folder",
    global: true,
    async inject(ctx) {
      await ctx.stack.killPostgres();
      await sleep(WINDOWS.downMs);
      await ctx.stack.startPostgres();
    },
  },
  'push-declined': {
    name: 'push-declined',
    what: "the remote's pre-receive hook declines pushes for a while, then accepts",
    async setUp(ctx) {
      ctx.state.marker = path.join(ctx.dir, 'refuse-pushes');
      await fs.writeFile(ctx.state.marker, '');
      const hook = path.join(ctx.bareDir, 'hooks', 'pre-receive');
      await fs.writeFile(hook, `#!/bin/sh\nif [ -e "${ctx.state.marker}" ]; then echo "pushes are refused for a while" >&2; exit 1; fi\nexit 0\n`, { mode: 0o755 });
    },
    async inject(ctx) {
      await sleep(WINDOWS.refuseMs);
      await fs.rm(ctx.state.marker, { force: true });
      await ctx.markFault();
    },
  },
  'remote-unreachable': {
    name: 'remote-unreachable',
    what: 'the git remote is gone (its repository moved away) until the push has failed twice, then back',
    async inject(ctx) {
      const away = `${ctx.bareDir}.away`;
      await fs.rename(ctx.bareDir, away);
      const deadline = Date.now() + 90_000;
      for (;;) {
        const push = (await pendingActivities(ctx)).find((a) => a.type === 'pushWork');
        if (push && push.attempt >= 3) {
          ctx.notes.push(`pushWork on attempt ${push.attempt} when the remote came back`);
          break;
        }
        if (Date.now() > deadline) {
          ctx.notes.push('the push never failed while the remote was away');
          break;
        }
        await sleep(200);
      }
      await fs.rename(away, ctx.bareDir);
      await ctx.markFault();
    },
  },
  'deploy-timeout': {
    name: 'deploy-timeout',
    what: 'the deploy command hangs the first time and is stopped by its 3 s timeout',
    expectDeploy: 'timed_out',
    deploy(ctx) {
      const marker = path.join(ctx.dir, 'deploy-hung-once');
      return {
        kind: 'command',
        command: `if [ ! -e "${marker}" ]; then touch "${marker}"; exec sleep 600; fi; ${DEMO_DEPLOY_COMMAND}`,
        timeoutSeconds: 3,
      };
    },
    async inject() {
      // The hang is the fault; the deployer's timeout is what recovers from it.
    },
  },
  'llm-529': overloaded({ retryAfterSeconds: undefined, windowMs: WINDOWS.overloadMs }),
  'llm-529-retry-after': overloaded({ retryAfterSeconds: 1, windowMs: WINDOWS.overloadRetryAfterMs }),
} satisfies Record<string, Fault>;

export type FaultName = keyof typeof FAULTS;
