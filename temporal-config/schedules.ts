import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';

export const WORKSPACE_SWEEP_SCHEDULE = 'workspace-sweep';

/**
 * Creates (or brings up to date) the Schedule that sweeps idle workspaces. A Temporal Schedule rather than a
 * timer in a process: it shows in the Web UI, survives restarts, and one runs however many workers start.
 */
export async function ensureWorkspaceSweepSchedule(client: Client, opts: { taskQueue: string; idleMs: number; everyMinutes: number }) {
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'workspaceSweepWorkflow',
    taskQueue: opts.taskQueue,
    args: [{ idleMs: opts.idleMs }],
  };
  const spec = { intervals: [{ every: `${opts.everyMinutes}m` }] };
  try {
    await client.schedule.create({ scheduleId: WORKSPACE_SWEEP_SCHEDULE, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP } });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(WORKSPACE_SWEEP_SCHEDULE).update((previous) => ({ ...previous, spec, action }));
  }
}
