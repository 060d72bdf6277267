import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarios } from '../llm/scenario.js';
import { runGit } from '../runtime/git/run-git.js';
import { stopProcess } from '../scripts/processes.js';
import { spawnTestWorker } from './helpers/temporal.js';
import { eventually } from './helpers/poll.js';
import { startRequestHarness } from './helpers/request-harness.js';

describe('a worker killed with SIGKILL in the middle of an agent task', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  const workers: ChildProcess[] = [];
  const startWorker = () => {
    const child = spawnTestWorker({ databaseUrl: h.database.url, taskQueue: h.temporal.taskQueue, home: h.deps.home });
    workers.push(child);
    return child;
  };

  beforeAll(async () => {
    h = await startRequestHarness(await loadScenarios(), {}, { inProcessWorker: false });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => stopProcess(w, 5_000)));
    await h?.stop();
  });

  it('is replaced by a new worker; the request completes with one commit, one deploy, no lost or repeated step', async () => {
    const first = startWorker();
    const projectId = await h.createProject();
    const { conversationId } = await h.startRequest(projectId, 'Add a referral program');
    await h.waitFor(conversationId, 'the plan card', (c) => c.phase === 'awaiting_confirmation', 120_000);
    await h.call('POST', `/api/conversations/${conversationId}/confirm`, { planVersion: 1 });

    // Kill once agents are at work: at least one tool has run, and no task has finished yet.
    await eventually('an agent mid-task', async () => {
      const events = await h.events(conversationId);
      const started = events.some((e) => e.kind === 'agent.tool_result');
      return started && !events.some((e) => e.kind === 'task.status' && e.payload.status === 'done') ? true : undefined;
    }, 60_000);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));

    startWorker();
    const done = await h.waitFor(conversationId, 'the request to finish', (c) => c.status !== 'running', 180_000);
    expect(done).toMatchObject({ status: 'completed', outcome: 'tasked' });
    expect(done.tasks.every((t) => t.status === 'done')).toBe(true);

    const log = (await runGit(h.remote.bareDir, ['log', '--format=%H', 'main'])).stdout.split('\n').filter(Boolean);
    expect(log).toHaveLength(2);
    const deploys = (await fs.readFile(path.join(h.deps.home, 'sites', 'demo', 'deploys.log'), 'utf8')).trim().split('\n');
    expect(deploys).toHaveLength(1);

    const events = await h.events(conversationId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const steps = events
      .filter((e) => e.kind === 'agent.turn' || e.kind === 'agent.tool_result')
      .map((e) => `${e.sessionId}:${e.kind}:${e.kind === 'agent.turn' ? e.payload.turn : e.payload.toolUseId}`);
    expect(new Set(steps).size).toBe(steps.length);
    expect(events.filter((e) => e.kind === 'assistant.message')).toHaveLength(2);
    expect(events.filter((e) => e.kind === 'commit')).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'deploy')).toHaveLength(1);
  }, 300_000);
});
