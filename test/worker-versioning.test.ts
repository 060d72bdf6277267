import type { ChildProcess } from 'node:child_process';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { stopProcess } from '../scripts/processes.js';
import { eventually } from './helpers/poll.js';
import { exitOf } from './helpers/processes.js';
import { startRequestHarness } from './helpers/request-harness.js';
import { spawnTestWorker } from './helpers/temporal.js';

const { temporal } = proto;

describe('two builds of the worker on one task queue, a request in flight', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  const workers: ChildProcess[] = [];
  // spawnTestWorker's own deployment for this file's task queue; each build names itself as an operator would.
  const deploymentName = () => `vibn-${h.temporal.taskQueue}`;
  const startBuild = (buildId: string) => {
    const child = spawnTestWorker({ databaseUrl: h.database.url, taskQueue: h.temporal.taskQueue, home: h.deps.home, env: { VIBN_BUILD_ID: buildId } });
    workers.push(child);
    return child;
  };
  const currentBuild = async () => {
    const described = await h.temporal.connection.workflowService
      .describeWorkerDeployment({ namespace: inject('temporalNamespace'), deploymentName: deploymentName() })
      .catch(() => undefined);
    return described?.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId ?? undefined;
  };
  /** The build that completed each workflow task of a workflow, in order. */
  const buildsOf = async (workflowId: string) => {
    const history = await h.temporal.client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).flatMap((e) => {
      const completed = e.workflowTaskCompletedEventAttributes;
      return completed ? [completed.deploymentVersion?.buildId ?? 'unversioned'] : [];
    });
  };

  beforeAll(async () => {
    h = await startRequestHarness([], {}, { inProcessWorker: false });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => stopProcess(w, 5_000)));
    await h?.stop();
  });

  it('waits at its plan card on build 1, build 2 takes over and build 1 drains, the request finishes on build 2', async () => {
    const one = startBuild('build-1');
    await eventually('build 1 to make itself current', async () => ((await currentBuild()) === 'build-1' ? true : undefined), 120_000);
    const projectId = await h.createProject();
    const { conversationId, workflowId } = await h.startRequest(projectId, 'Add a referral program');
    await h.waitFor(conversationId, 'the plan card', (c) => c.phase === 'awaiting_confirmation', 120_000);

    startBuild('build-2');
    await eventually('build 2 to make itself current', async () => ((await currentBuild()) === 'build-2' ? true : undefined), 120_000);
    const exit = exitOf(one);
    one.kill('SIGTERM');
    expect(await exit).toEqual({ code: 0, signal: null });

    await h.call('POST', `/api/conversations/${conversationId}/confirm`, { planVersion: 1 });
    const done = await h.waitFor(conversationId, 'the request to finish', (c) => c.status !== 'running', 180_000);
    expect(done).toMatchObject({ status: 'completed', outcome: 'tasked' });
    expect(done.tasks.every((t) => t.status === 'done')).toBe(true);

    // Build 1 ran the request up to its plan card; from the founder's confirm on, only build 2 did.
    const builds = await buildsOf(workflowId);
    const handover = builds.indexOf('build-2');
    expect(handover).toBeGreaterThan(0);
    expect(new Set(builds.slice(0, handover))).toEqual(new Set(['build-1']));
    expect(new Set(builds.slice(handover))).toEqual(new Set(['build-2']));

    // Every task ran on build 2, and each workflow says so, auto-upgrading as workflows/index.ts declares.
    const tasks: string[] = [];
    const query = `TaskQueue = '${h.temporal.taskQueue}' AND WorkflowType = 'taskWorkflow'`;
    for await (const run of h.temporal.client.workflow.list({ query })) tasks.push(run.workflowId);
    expect(tasks.length).toBeGreaterThanOrEqual(done.tasks.length);
    for (const id of tasks) expect({ id, builds: new Set(await buildsOf(id)) }).toEqual({ id, builds: new Set(['build-2']) });
    for (const id of [workflowId, ...tasks]) {
      const versioning = (await h.temporal.client.workflow.getHandle(id).describe()).raw.workflowExecutionInfo?.versioningInfo;
      expect({ id, build: versioning?.deploymentVersion?.buildId, behavior: versioning?.behavior }).toEqual({
        id,
        build: 'build-2',
        behavior: temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE,
      });
    }
  }, 480_000);
});
