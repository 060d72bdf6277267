import { randomUUID } from 'node:crypto';
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, localDay, zonedInstant } from '../core/local-day.js';
import { listProjects } from '../db/queries/projects.js';
import { advisorConversations, advisorMemory, deploys } from '../db/schema.js';
import {
  briefingScheduleId,
  briefingScheduleSpec,
  monitorScheduleId,
  syncProjectSchedules,
} from '../temporal-config/project-schedules.js';
import type { BriefingWorkflowResult } from '../workflows/briefing.js';
import { MAIL_FROM, startMonitoringHarness } from './helpers/monitoring-harness.js';
import { eventually } from './helpers/poll.js';

/** The next `count` instants at which the clock in `timeZone` reads `time`, after `after`: what the Schedule must say. */
function expectedBriefings(timeZone: string, time: string, count: number, after = new Date()): string[] {
  const out: string[] = [];
  for (let day = addDays(localDay(after, timeZone), -1); out.length < count; day = addDays(day, 1)) {
    const at = zonedInstant(day, time, timeZone);
    if (at && at > after) out.push(at.toISOString());
  }
  return out;
}

describe('morning briefings', () => {
  let h: Awaited<ReturnType<typeof startMonitoringHarness>>;
  beforeAll(async () => {
    h = await startMonitoringHarness();
  });
  afterAll(() => h?.stop());

  const schedule = (id: string) => h.temporal.client.schedule.getHandle(id);
  const nextTimes = async (id: string, count = 5) => (await schedule(id).describe()).info.nextActionTimes.slice(0, count).map((d) => d.toISOString());

  it("fire at the founder's local briefing time, in New York and in Kolkata", async () => {
    const ny = await h.createProject('New York bakery', { timezone: 'America/New_York', briefingTime: '07:30' });
    expect(await nextTimes(briefingScheduleId(ny))).toEqual(expectedBriefings('America/New_York', '07:30', 5));
    const kolkata = await h.createProject('Kolkata tea', { timezone: 'Asia/Kolkata', briefingTime: '07:30' });
    const times = await nextTimes(briefingScheduleId(kolkata));
    expect(times).toEqual(expectedBriefings('Asia/Kolkata', '07:30', 5));
    // 07:30 in Kolkata (UTC+05:30) is 02:00 UTC.
    expect(times.every((t) => t.endsWith('T02:00:00.000Z'))).toBe(true);

    // The monitor's Schedule came with the project, hourly.
    const monitor = await schedule(monitorScheduleId(ny)).describe();
    expect(monitor.spec.intervals?.[0]?.every).toBe(3_600_000);
    expect(monitor.action).toMatchObject({ type: 'startWorkflow', workflowType: 'monitorWorkflow', taskQueue: h.temporal.taskQueue });
    expect(monitor.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
  });

  it('keep 07:30 local across a DST change', async () => {
    // The same spec the projects get, started just before New York springs forward (14 March 2027).
    const id = `briefing-dst-${randomUUID()}`;
    await h.temporal.client.schedule.create({
      scheduleId: id,
      spec: { ...briefingScheduleSpec({ timezone: 'America/New_York', briefingTime: '07:30' }), startAt: new Date('2027-03-10T00:00:00Z') },
      action: { type: 'startWorkflow', workflowType: 'briefingWorkflow', taskQueue: `${h.temporal.taskQueue}-never`, args: [{ projectId: randomUUID() }] },
      state: { paused: true },
    });
    try {
      const times = await nextTimes(id, 7);
      expect(times).toEqual(expectedBriefings('America/New_York', '07:30', 7, new Date('2027-03-10T00:00:00Z')));
      expect(times.slice(2, 6)).toEqual(['2027-03-12T12:30:00.000Z', '2027-03-13T12:30:00.000Z', '2027-03-14T11:30:00.000Z', '2027-03-15T11:30:00.000Z']);
    } finally {
      await schedule(id).delete();
    }
  });

  it('follow a change of briefing time or time zone, and go with the project', async () => {
    const id = await h.createProject('Paris florist', { timezone: 'Europe/Paris', briefingTime: '08:00' });
    expect(await nextTimes(briefingScheduleId(id))).toEqual(expectedBriefings('Europe/Paris', '08:00', 5));

    expect((await h.call('PATCH', `/api/projects/${id}`, { briefingTime: '06:45' })).status).toBe(200);
    expect(await nextTimes(briefingScheduleId(id))).toEqual(expectedBriefings('Europe/Paris', '06:45', 5));
    expect((await h.call('PATCH', `/api/projects/${id}`, { timezone: 'America/Los_Angeles' })).status).toBe(200);
    expect(await nextTimes(briefingScheduleId(id))).toEqual(expectedBriefings('America/Los_Angeles', '06:45', 5));

    expect((await h.call('DELETE', `/api/projects/${id}`)).status).toBe(204);
    expect((await h.call('GET', `/api/projects/${id}`)).status).toBe(404);
    for (const sid of [briefingScheduleId(id), monitorScheduleId(id)]) await expect(schedule(sid).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect((await h.call('DELETE', `/api/projects/${id}`)).status).toBe(404);
  });

  it('are put back in place at worker start, and orphans of this task queue removed', async () => {
    const id = await h.createProject('Lisbon surf', { timezone: 'Europe/Lisbon', briefingTime: '09:00' });
    await schedule(briefingScheduleId(id)).delete();
    const orphan = randomUUID();
    await h.temporal.client.schedule.create({
      scheduleId: monitorScheduleId(orphan),
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'monitorWorkflow', taskQueue: h.temporal.taskQueue, args: [{ projectId: orphan }] },
      state: { paused: true },
    });
    const result = await syncProjectSchedules(h.temporal.client, await listProjects(h.database.db), { taskQueue: h.temporal.taskQueue });
    expect(result.removed).toEqual([monitorScheduleId(orphan)]);
    expect(await nextTimes(briefingScheduleId(id))).toEqual(expectedBriefings('Europe/Lisbon', '09:00', 5));
  });

  it('write the digest when the schedule fires, skip when nothing happened, and email it', async () => {
    const projectId = await h.createProject('Acme Notes', { timezone: 'UTC', briefingTime: '08:00' });
    const handle = schedule(briefingScheduleId(projectId));
    /** Fires the Schedule now and waits for the briefing run it starts. */
    const fire = async () => {
      // A Schedule names each run it starts by the second: two triggers within one second would be one run.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const before = (await handle.describe()).info.recentActions.length;
      await handle.trigger();
      const action = await eventually('the triggered briefing', async () => (await handle.describe()).info.recentActions[before]);
      return h.temporal.client.workflow.getHandle(action.action.workflow.workflowId).result() as Promise<BriefingWorkflowResult>;
    };

    expect(await fire()).toEqual({ written: false, reason: 'nothing happened since the last look' });
    expect(await h.monitoringMessages(projectId)).toHaveLength(0);

    // Overnight: a request shipped, a deploy went live, one failed, and a question is still open.
    await h.database.db.insert(advisorConversations).values([
      { projectId, module: 'assist', status: 'completed', phase: 'done', outcome: 'tasked', requestText: 'Add a referral program' },
      { projectId, module: 'assist', status: 'completed', phase: 'done', outcome: 'declined', requestText: 'Rewrite everything in Rust' },
    ]);
    await h.database.db.insert(deploys).values([
      { projectId, kind: 'command', commit: '0a1b2c3d4e5f', status: 'succeeded', finishedAt: new Date() },
      { projectId, kind: 'command', commit: 'ffee00112233', status: 'failed', finishedAt: new Date() },
    ]);
    await h.database.db.insert(advisorMemory).values({ projectId, category: 'open', key: 'trial_length', value: 'Decide whether the trial is 14 or 30 days' });
    expect((await h.call('PATCH', `/api/projects/${projectId}`, { notifyEmail: 'founder@acme.test' })).status).toBe(200);

    expect(await fire()).toEqual({ written: true });
    const [briefing] = await h.monitoringMessages(projectId);
    expect(briefing).toMatchObject({ role: 'assist', scripted: true, reply: { kind: 'briefing' } });
    expect(briefing!.content).toMatch(/^Good morning\. Here is what happened since /);
    expect(briefing!.content).toContain('Work shipped:\n• Add a referral program');
    expect(briefing!.content).not.toContain('Rust');
    expect(briefing!.content).toContain('Deploys: 1 deploy went live (0a1b2c3); 1 deploy failed (ffee001).');
    expect(briefing!.content).toContain('Still open from our conversations:\n• Decide whether the trial is 14 or 30 days');

    const mail = await eventually('the briefing email', async () => h.sink.messages.find((m) => m.to.includes('founder@acme.test')));
    expect(mail).toMatchObject({ from: 'assist@vibn.test', to: ['founder@acme.test'], subject: 'Acme Notes: Your morning briefing' });
    expect(mail.text).toContain('Work shipped:\n• Add a referral program');
    expect(mail.raw).toContain(MAIL_FROM.split(' ')[0]);

    // The next one starts from this briefing: nothing new, nothing written.
    expect(await fire()).toEqual({ written: false, reason: 'nothing happened since the last look' });
    // A visit moves the start too: what happened before it is not repeated.
    await h.database.db.insert(deploys).values({ projectId, kind: 'command', commit: '99887766', status: 'succeeded', finishedAt: new Date() });
    expect((await h.call('POST', `/api/projects/${projectId}/visits`)).status).toBe(204);
    expect(await fire()).toEqual({ written: false, reason: 'nothing happened since the last look' });
    expect(await h.monitoringMessages(projectId)).toHaveLength(1);
  });
});
