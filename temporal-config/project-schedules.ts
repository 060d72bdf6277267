/**
 * Each project's two Schedules: `monitor-<projectId>` (hourly) runs the monitor, `briefing-<projectId>` runs the
 * morning briefing at the founder's local briefing time. Temporal Schedules rather than timers in a process: they
 * show in the Web UI, survive restarts, and fire once however many workers run. Every function here is
 * idempotent: creating brings an existing schedule up to date, deleting a missing one is a no-op.
 */
import { createHash } from 'node:crypto';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleSpec } from '@temporalio/client';
import { PROJECT_ID } from '../core/search-attributes.js';

export const monitorScheduleId = (projectId: string) => `monitor-${projectId}`;
export const briefingScheduleId = (projectId: string) => `briefing-${projectId}`;

/** What the schedules of one project depend on. */
export type ScheduledProject = { id: string; timezone: string; briefingTime: string };

/**
 * The briefing's calendar: every day at HH:MM on the founder's wall clock in their time zone. Temporal applies
 * the zone's rules (DST included) on its side, so 07:30 stays 07:30 local across a change. A time that a
 * spring-forward change skips (02:30 in New York on that Sunday) does not fire that one day.
 */
export function briefingScheduleSpec(project: Pick<ScheduledProject, 'timezone' | 'briefingTime'>): ScheduleSpec {
  const [hour, minute] = project.briefingTime.split(':').map(Number) as [number, number];
  return { calendars: [{ hour, minute, comment: `morning briefing at ${project.briefingTime} ${project.timezone}` }], timezone: project.timezone };
}

/** Hourly, at a minute fixed per project, so that many projects' monitors do not all start on the hour. */
export function monitorScheduleSpec(projectId: string): ScheduleSpec {
  const minute = createHash('sha256').update(projectId).digest().readUInt16BE(0) % 60;
  return { intervals: [{ every: '1h', offset: `${minute}m` }] };
}

async function upsertSchedule(client: Client, id: string, options: { workflowType: string; projectId: string; taskQueue: string; spec: ScheduleSpec; catchupWindow: string }) {
  const action = {
    type: 'startWorkflow' as const,
    workflowType: options.workflowType,
    workflowId: id,
    taskQueue: options.taskQueue,
    args: [{ projectId: options.projectId }],
    typedSearchAttributes: [{ key: PROJECT_ID, value: options.projectId }],
  };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: options.catchupWindow };
  try {
    await client.schedule.create({ scheduleId: id, spec: options.spec, action, policies });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(id).update((previous) => ({ ...previous, spec: options.spec, action, policies: { ...previous.policies, ...policies } }));
  }
}

/** Creates the project's monitor and briefing schedules, or brings them up to date (briefing time, time zone). */
export async function ensureProjectSchedules(client: Client, project: ScheduledProject, opts: { taskQueue: string }): Promise<void> {
  // A monitor run missed while the cluster was down is not worth catching up beyond the next; a briefing
  // an hour or two late is still a morning briefing, one at dinner time is not.
  await upsertSchedule(client, monitorScheduleId(project.id), {
    workflowType: 'monitorWorkflow',
    projectId: project.id,
    taskQueue: opts.taskQueue,
    spec: monitorScheduleSpec(project.id),
    catchupWindow: '30 minutes',
  });
  await upsertSchedule(client, briefingScheduleId(project.id), {
    workflowType: 'briefingWorkflow',
    projectId: project.id,
    taskQueue: opts.taskQueue,
    spec: briefingScheduleSpec(project),
    catchupWindow: '2 hours',
  });
}

/** Deletes the project's schedules; ones already gone are fine. */
export async function deleteProjectSchedules(client: Client, projectId: string): Promise<void> {
  for (const id of [monitorScheduleId(projectId), briefingScheduleId(projectId)]) {
    try {
      await client.schedule.getHandle(id).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
}

const PROJECT_SCHEDULE = /^(monitor|briefing)-([0-9a-f-]{36})$/;

/**
 * At worker start: every project has its schedules, as its settings now say, and schedules of projects deleted
 * while Temporal was unreachable are removed. Only schedules that start work on this task queue are touched,
 * so deployments (or test runs) sharing a namespace leave each other's alone.
 */
export async function syncProjectSchedules(client: Client, projects: ScheduledProject[], opts: { taskQueue: string }): Promise<{ ensured: number; removed: string[] }> {
  for (const project of projects) await ensureProjectSchedules(client, project, opts);
  const known = new Set(projects.map((p) => p.id.toLowerCase()));
  const removed: string[] = [];
  for await (const schedule of client.schedule.list()) {
    const match = PROJECT_SCHEDULE.exec(schedule.scheduleId);
    if (!match || known.has(match[2]!.toLowerCase())) continue;
    const handle = client.schedule.getHandle(schedule.scheduleId);
    try {
      const described = await handle.describe();
      if (described.action.type !== 'startWorkflow' || described.action.taskQueue !== opts.taskQueue) continue;
      await handle.delete();
      removed.push(schedule.scheduleId);
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
  return { ensured: projects.length, removed };
}
