/**
 * One case of the matrix: a fresh project on the demo repository, a request driven as a founder would (plan
 * card, confirm) through the real API process, a fault injected when the request reaches the case's point,
 * and the end state compared with an undisturbed run.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createDemoRepository } from '../../demo/create-demo-repo.js';
import { DEMO_DEPLOY_COMMAND } from '../../demo/demo-project.js';
import { checkOutcome, mainCommits } from './checks.js';
import { FAULTS, type CaseContext, type Fault, type FaultName } from './faults.js';
import { lastSeq, POINTS, snapshot, type Point, type Snapshot } from './progress.js';
import { ResumingStream } from './resuming-stream.js';
import type { FaultStack, Lane } from './stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const SCENARIOS = {
  /** llm/scenarios/referral-program.json: 4 tasks (two at once), a commit, a push, a deploy, a follow-up. */
  demo: { text: 'Add a referral program', tasks: 4 },
  /** test/faults/scenarios/ten-parallel-tasks.json: ten independent tasks, all at once. */
  ten: { text: 'Write ten parallel tasks of notes', tasks: 10 },
} as const;
export type ScenarioName = keyof typeof SCENARIOS;

export type Case = { fault: FaultName; point: Point; scenario?: ScenarioName; knownBug?: string };

export type CaseResult = {
  id: string;
  fault: FaultName;
  point: Point;
  scenario: ScenarioName;
  problems: string[];
  recoveryMs?: number;
  totalMs?: number;
  notes: string[];
  knownBug?: string;
};

export const caseId = (c: Case) => `${c.fault}@${c.point}${c.scenario && c.scenario !== 'demo' ? `+${c.scenario}` : ''}`;

/** Retries an API call through restarts: network errors and 5xx answers are tried again. */
async function apiCall(lane: Lane, what: string, method: string, url: string, body?: unknown, headers?: Record<string, string>, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const res = await lane.call(method, url, body, headers);
      if (res.status < 500) return res;
      last = `${res.status} ${JSON.stringify(res.body)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what} failed for ${timeoutMs} ms: ${last}`);
    await sleep(250);
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Whether the request's workflow has closed (memory step included); undefined while Temporal is unreachable. */
async function workflowClosed(stack: FaultStack, workflowId: string): Promise<boolean | undefined> {
  try {
    return (await stack.client.workflow.getHandle(workflowId).describe()).status.name !== 'RUNNING';
  } catch {
    return undefined;
  }
}

/** What a request that does not end is waiting on: its pending activities and their last failures. */
async function pendingWork(stack: FaultStack, workflowId: string): Promise<string> {
  try {
    const { raw } = await stack.client.workflow.getHandle(workflowId).describe();
    const pending = (raw.pendingActivities ?? []).map(
      (a) => `${a.activityType?.name} attempt ${a.attempt} (${a.lastFailure?.message ?? 'no failure'})`,
    );
    const children = (raw.pendingChildren ?? []).map((c) => `child ${c.workflowTypeName} ${c.workflowId}`);
    return `pending: ${[...pending, ...children].join('; ') || 'nothing (the workflow waits on a signal or timer)'}`;
  } catch (err) {
    return `pending work unknown: ${(err as Error).message}`;
  }
}

export async function runCase(stack: FaultStack, lane: Lane, c: Case): Promise<CaseResult> {
  const scenario = c.scenario ?? 'demo';
  const fault: Fault = FAULTS[c.fault];
  const id = caseId(c);
  const result: CaseResult = { id, fault: c.fault, point: c.point, scenario, problems: [], notes: [], knownBug: c.knownBug };
  const dir = path.join(stack.scratch, 'cases', `${id.replace(/[^a-z0-9+-]/gi, '_')}-${randomUUID().slice(0, 6)}`);
  await fs.mkdir(dir, { recursive: true });
  const remote = await createDemoRepository({ stateDir: dir });

  let latest: Snapshot | undefined;
  let mark = { at: 0, seq: 0 };
  const ctx: CaseContext = {
    stack,
    lane,
    dir,
    bareDir: remote.bareDir,
    projectId: '',
    conversationId: '',
    workflowId: '',
    workers: [],
    orphansOfKilled: [],
    notes: result.notes,
    state: {},
    async markFault() {
      latest = (await snapshot(stack.sql, ctx.conversationId)) ?? latest;
      mark = { at: Date.now(), seq: lastSeq(latest) };
    },
  };
  let stream: ResumingStream | undefined;
  const crashesBefore = lane.crashes.length;
  const caseStarted = Date.now();
  const phases: string[] = [];
  const lap = (what: string) => phases.push(`${what} ${((Date.now() - caseStarted) / 1000).toFixed(1)}`);
  try {
    await fault.setUp?.(ctx);
    // Narrow points get room: Assist, the advisors or the follow-up pause first (see worker-entry.ts), the
    // first push waits in a pre-receive hook, the deploy command sleeps first. The steps are the product's.
    const slowRole = { assist: 'assist', advisors: 'advisor', followup: 'followup' }[c.point as string];
    const slow = slowRole ? ` (slow ${slowRole})` : '';
    const pushInHook = path.join(dir, 'push-in-hook');
    const gate = c.point === 'push' && c.fault !== 'push-declined' ? () => fs.access(pushInHook).then(() => true, () => false) : async () => true;
    if (c.point === 'push' && c.fault !== 'push-declined') {
      await fs.writeFile(path.join(remote.bareDir, 'hooks', 'pre-receive'), `#!/bin/sh\nif [ ! -e "${pushInHook}" ]; then touch "${pushInHook}"; sleep 3; fi\nexit 0\n`, { mode: 0o755 });
    }
    const deploy = fault.deploy
      ? fault.deploy(ctx)
      : { kind: 'command', command: c.point === 'deploy' ? `sleep 3; ${DEMO_DEPLOY_COMMAND}` : DEMO_DEPLOY_COMMAND };

    const workerEnv = fault.workerEnv?.(ctx) ?? {};
    ctx.workers = await lane.ensureWorkers(fault.workers ?? 1, workerEnv);

    lap('workers');
    const project = await apiCall(lane, 'creating the project', 'POST', '/api/projects', { name: `faults-${id}-${randomUUID().slice(0, 4)}`, repoUrl: remote.remoteUrl, deploy });
    if (project.status !== 201) throw new Error(`project not created: ${JSON.stringify(project.body)}`);
    ctx.projectId = project.body.id;
    const commitsBefore = (await mainCommits(remote.bareDir)).length;

    const started = Date.now();
    const accepted = await apiCall(lane, 'starting the request', 'POST', `/api/projects/${ctx.projectId}/requests`, { text: `${SCENARIOS[scenario].text}${slow}` }, { 'idempotency-key': randomUUID() });
    if (accepted.status !== 202) throw new Error(`request not accepted: ${JSON.stringify(accepted.body)}`);
    ctx.conversationId = accepted.body.conversationId;
    ctx.workflowId = accepted.body.workflowId;
    stream = new ResumingStream(lane.apiUrl, ctx.conversationId).start();

    // The fault strikes when the request reaches the point; then the time to the next step is measured.
    let fired = false;
    let recoveredAt: number | undefined;
    const striking = (async () => {
      await until(`the point "${c.point}"`, async () => {
        latest = (await snapshot(stack.sql, ctx.conversationId)) ?? latest;
        if (!latest) return undefined;
        if (POINTS[c.point](latest, SCENARIOS[scenario].tasks) && (await gate())) return true;
        if (latest.status !== 'running') throw new Error(`the request ended (${latest.status}) before the point "${c.point}"`);
        return undefined;
      }, 180_000);
      mark = { at: Date.now(), seq: lastSeq(latest) };
      try {
        await fault.inject(ctx);
      } finally {
        fired = true;
      }
      await until('progress after the fault', async () => {
        const now = await snapshot(stack.sql, ctx.conversationId);
        if (now && (lastSeq(now) > mark.seq || now.status !== 'running')) return (recoveredAt = Date.now());
        return undefined;
      }, 180_000, 25);
    })();
    const failed = striking.catch((err: Error) => err);

    // The founder confirms the plan card, after the fault when it strikes before the confirmation.
    await until('the plan card', async () => {
      const s = await snapshot(stack.sql, ctx.conversationId);
      if (s?.status && s.status !== 'running') throw new Error(`the request ended before its plan card: ${s.status} ${s.error ?? ''}`);
      return s?.phase === 'awaiting_confirmation' && (fired || (c.point !== 'assist' && c.point !== 'awaiting')) ? true : undefined;
    }, 180_000, 100).catch(async (err: Error) => {
      // A fault that could not be injected explains a missing plan card better than the timeout does.
      const strikeError = await Promise.race([failed, sleep(0).then(() => undefined)]);
      throw strikeError instanceof Error ? strikeError : err;
    });
    // Retried on a 5xx with the same key, as the console does: one confirm, however many sends.
    const confirm = await apiCall(lane, 'confirming the plan', 'POST', `/api/conversations/${ctx.conversationId}/confirm`, { planVersion: 1 }, { 'idempotency-key': randomUUID() });
    if (confirm.status !== 202) throw new Error(`confirm refused: ${confirm.status} ${JSON.stringify(confirm.body)}`);

    await until('the request to end', async () => ((await workflowClosed(stack, ctx.workflowId)) ? true : undefined), 240_000, 250).catch(
      async (err: Error) => {
        throw new Error(`${err.message}; ${await pendingWork(stack, ctx.workflowId)}`);
      },
    );
    result.totalMs = Date.now() - started;
    lap('closed');
    const strikeError = await Promise.race([failed, sleep(5_000).then(() => 'pending' as const)]);
    if (strikeError instanceof Error) throw strikeError;
    if (recoveredAt !== undefined) result.recoveryMs = recoveredAt - mark.at;

    const final = await until('the final state', () => snapshot(stack.sql, ctx.conversationId), 30_000);
    lap('strike settled');
    await stream.waitFor(final.events.length);
    lap('stream');
    result.problems = await checkOutcome({
      sql: stack.sql,
      home: stack.home,
      projectId: ctx.projectId,
      conversationId: ctx.conversationId,
      bareDir: remote.bareDir,
      final,
      streamSeqs: stream.seqs(),
      livePids: stack.livePids(),
      orphansOfKilled: ctx.orphansOfKilled,
      expect: { commitsBefore, deploy: fault.expectDeploy ?? 'succeeded' },
    });
    lap('checks');
    if (process.env.FAULTS_TIMELINE) {
      const t0 = final.events[0]!.createdAt.getTime();
      console.log(`${id} timeline (s): ${final.events.map((e) => `${((e.createdAt.getTime() - t0) / 1000).toFixed(1)} ${e.kind}`).join(' | ')}`);
    }
    if (stream.reconnects) {
      const resumed = stream.subscribedAt.find((t) => t > mark.at);
      result.notes.push(`stream reconnected ${stream.reconnects}×${resumed ? `, resumed ${((resumed - mark.at) / 1000).toFixed(1)} s after the fault` : ''}`);
    }
  } catch (err) {
    result.problems.push((err as Error).message);
  } finally {
    result.problems.push(...lane.crashes.slice(crashesBefore));
    await stream?.stop();
    await fault.tearDown?.(ctx).catch(() => undefined);
    // Workers on a fault's own settings (a fake vendor that is gone now) are not reused.
    if (fault.workerEnv) await lane.stopWorkers();
    if (process.env.FAULTS_TIMELINE) console.log(`${id} phases (s): ${phases.join(' | ')}`);
  }
  return result;
}
