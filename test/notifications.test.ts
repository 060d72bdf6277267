import { productLogger } from './helpers/logs.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifyActivities } from '../activities/notify.js';
import { DEMO_DEPLOY_COMMAND } from '../demo/demo-project.js';
import { scenarioSchema } from '../llm/scenario.js';
import { MAIL_FROM, startMonitoringHarness } from './helpers/monitoring-harness.js';
import { eventually } from './helpers/poll.js';
import { freePort } from './helpers/ports.js';
import { oneTaskScenario, planReply } from './helpers/scenarios.js';

const task = (id: string, dependsOn: string[]) => ({ id, title: `Task ${id}`, instructions: `Write ${id}.txt`, module: 'code', tier: 'A', dependsOn });
const scenarios = [
  oneTaskScenario('ship'),
  // Two invalid graphs: the request fails in plain words before any task runs.
  scenarioSchema.parse({
    name: 'doomed',
    match: '^doomed\\b',
    assist: [planReply('Loop forever')],
    advisors: { code: { summary: 'x', tasks: [{ title: 'x', instructions: 'x', complexity: 'simple' }] } },
    orchestrator: [{ tasks: [task('a', ['b']), task('b', ['a'])] }, { tasks: [task('a', ['zzz'])] }],
  }),
];

type Notification = { id: string; kind: string; title: string; body: string; conversationId: string | null; readAt: string | null; emailStatus: string | null };

describe('notifications', () => {
  let h: Awaited<ReturnType<typeof startMonitoringHarness>>;
  let projectId: string;
  beforeAll(async () => {
    h = await startMonitoringHarness(scenarios);
    projectId = await h.createProject('Acme Notes', { deploy: { kind: 'command', command: DEMO_DEPLOY_COMMAND } });
    const patched = await h.call('PATCH', `/api/projects/${projectId}`, { notifyEmail: 'founder@acme.test', notificationPrefs: { completion: { email: true } } });
    expect(patched.body).toMatchObject({ notifyEmail: 'founder@acme.test', notificationPrefs: { completion: { email: true } } });
  });
  afterAll(() => h?.stop());

  const feed = async (query = '') => (await h.call('GET', `/api/projects/${projectId}/notifications${query}`)).body as { streamConversationId: string; notifications: Notification[] };
  const streamed = async () => (await h.events((await feed()).streamConversationId)).filter((e) => e.kind === 'notification');
  const mailsTo = (address: string) => h.sink.messages.filter((m) => m.to.includes(address));

  it("tells the founder a request is done: in the feed, live on the stream, and by email (the founder's choice)", async () => {
    const { conversationId, done } = await h.runConfirmed(projectId, 'ship the notes page');
    expect(done).toMatchObject({ status: 'completed' });
    // The request reads as done a moment before its notification is sent.
    const notification = await eventually('the completion notification', async () => (await feed()).notifications.find((n) => n.conversationId === conversationId && n.emailStatus !== 'pending'));
    expect(notification).toMatchObject({ kind: 'completion', title: 'Done: ship the notes page', readAt: null, emailStatus: 'sent' });

    const events = await streamed();
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ notificationId: notification.id, kind: 'completion', title: 'Done: ship the notes page', conversationId });

    const mail = await eventually('the email', async () => mailsTo('founder@acme.test')[0]);
    expect(mail).toMatchObject({ from: 'assist@vibn.test', subject: 'Acme Notes: Done: ship the notes page' });
    expect(mail.text).toContain('"ship the notes page" is done.');
  });

  it('tells the founder a request failed, with the reason; email by default', async () => {
    const { conversationId, done } = await h.runConfirmed(projectId, 'doomed plan');
    expect(done.status).toBe('failed');
    const notification = await eventually('the failure notification', async () => (await feed()).notifications.find((n) => n.conversationId === conversationId && n.emailStatus !== 'pending'));
    expect(notification).toMatchObject({ kind: 'failure', title: 'Could not finish: doomed plan', emailStatus: 'sent' });
    expect(notification.body).toMatch(/^"doomed plan" could not be finished\. I couldn't turn the plan into a workable set of tasks/);
    expect((await streamed()).map((e) => e.payload.kind)).toEqual(['completion', 'failure']);
    await eventually('the failure email', async () => mailsTo('founder@acme.test').find((m) => m.subject === 'Acme Notes: Could not finish: doomed plan'));
  });

  it('marks notifications read, by id or all', async () => {
    const unread = (await feed('?unread=1')).notifications;
    expect(unread.map((n) => n.kind)).toEqual(['failure', 'completion']);
    expect((await h.call('POST', `/api/projects/${projectId}/notifications/read`, { ids: [unread[1]!.id] })).body).toEqual({ marked: 1 });
    expect((await feed('?unread=1')).notifications.map((n) => n.kind)).toEqual(['failure']);
    expect((await h.call('POST', `/api/projects/${projectId}/notifications/read`, { all: true })).body).toEqual({ marked: 1 });
    expect((await feed('?unread=1')).notifications).toEqual([]);
    expect((await feed()).notifications).toHaveLength(2);
    expect((await h.call('POST', `/api/projects/${projectId}/notifications/read`, { ids: [] })).status).toBe(400);
  });

  it("honours the founder's preferences per kind and channel", async () => {
    const mailsBefore = h.sink.messages.length;
    await h.call('PATCH', `/api/projects/${projectId}`, { notificationPrefs: { failure: { inApp: false, email: false } } });
    const quiet = await h.runConfirmed(projectId, 'doomed again');
    expect(quiet.done.status).toBe('failed');
    // The conversation reads as failed a moment before the workflow notifies: wait for its end.
    await h.temporal.client.workflow.getHandle(`request-${projectId}-${quiet.conversationId}`).result();

    await h.call('PATCH', `/api/projects/${projectId}`, { notificationPrefs: { failure: { inApp: false, email: true } } });
    const emailOnly = await h.runConfirmed(projectId, 'doomed once more');
    const mail = await eventually('the email-only failure', async () => h.sink.messages.find((m) => m.subject === 'Acme Notes: Could not finish: doomed once more'));
    await eventually('its row marked sent', async () => ((await feed()).notifications.find((n) => n.conversationId === emailOnly.conversationId)?.emailStatus === 'sent' ? true : undefined));
    expect(mail.to).toEqual(['founder@acme.test']);
    expect(h.sink.messages).toHaveLength(mailsBefore + 1);

    const all = (await feed()).notifications;
    expect(all.find((n) => n.conversationId === quiet.conversationId)).toBeUndefined();
    // On record (its email went out) but never unread in the feed, and not streamed.
    expect(all.find((n) => n.conversationId === emailOnly.conversationId)).toMatchObject({ emailStatus: 'sent', readAt: expect.any(String) });
    expect((await feed('?unread=1')).notifications).toEqual([]);
    expect(await streamed()).toHaveLength(2);

    // No address: in the app only, whatever the preferences.
    await h.call('PATCH', `/api/projects/${projectId}`, { notifyEmail: null, notificationPrefs: {} });
    const project = (await h.call('GET', `/api/projects/${projectId}`)).body;
    expect(project.notifyEmail).toBeUndefined();
    const inAppOnly = await h.runConfirmed(projectId, 'doomed at last');
    const n = await eventually('the in-app failure', async () => (await feed()).notifications.find((x) => x.conversationId === inAppOnly.conversationId));
    expect(n).toMatchObject({ emailStatus: null, readAt: null });
    expect(h.sink.messages).toHaveLength(mailsBefore + 1);
  });

  it('notifies once per key when retried, retries an email the SMTP server refused, and sends no secret', async () => {
    await h.call('PATCH', `/api/projects/${projectId}`, { notifyEmail: 'ops@acme.test' });
    const secret = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789';
    const input = { projectId, kind: 'anomaly' as const, title: 'Checkout errors', body: `The log says: key ${secret} rejected`, key: 'test:retry-1' };
    const log = productLogger('api').logger;

    // The first attempt finds no SMTP server: the row is kept, the email marked failed, the activity fails (to be retried).
    const down = createNotifyActivities({ db: h.database.db, log, mail: { smtpUrl: `smtp://127.0.0.1:${await freePort()}`, from: MAIL_FROM } });
    await expect(down.notify(input)).rejects.toThrow(/could not be sent/);
    expect((await feed()).notifications.find((n) => n.title === 'Checkout errors')).toMatchObject({ emailStatus: 'failed' });

    const up = createNotifyActivities({ db: h.database.db, log, mail: { smtpUrl: h.sink.url, from: MAIL_FROM } });
    const first = await up.notify(input);
    expect(first).toMatchObject({ inApp: true, email: 'sent' });
    const again = await up.notify(input);
    expect(again).toEqual({ ...first, email: 'sent' });

    expect((await feed()).notifications.filter((n) => n.title === 'Checkout errors')).toHaveLength(1);
    expect((await streamed()).filter((e) => e.payload.title === 'Checkout errors')).toHaveLength(1);
    const mails = mailsTo('ops@acme.test');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain('The log says: key [redacted] rejected');
    expect(mails[0]!.raw).not.toContain(secret);
  });
});
