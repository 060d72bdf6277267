import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, zonedInstant } from '../core/local-day.js';
import { deploys } from '../db/schema.js';
import { scenarioSchema } from '../llm/scenario.js';
import type { MonitorResult } from '../workflows/monitor.js';
import { startMonitoringHarness } from './helpers/monitoring-harness.js';
import { plantEvents, seeded } from './helpers/product-events.js';
import { eventually } from './helpers/poll.js';

// The founder's yes to a finding starts a request; Assist answers it at once here.
const fixIt = scenarioSchema.parse({ name: 'fix it', match: '^The monitor noticed', assist: [{ kind: 'answer', text: 'Looking into it now.' }] });

const TZ = 'America/New_York';
const DEPLOYED = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const BROKEN = 'deadbeefcafe0123456789abcdef0123456789ab';

type Finding = { id: string; kind: string; summary: string; deployId: string | null; commit: string | null; status: string; actedConversationId: string | null; details: Record<string, unknown> };

describe('the monitor', () => {
  let h: Awaited<ReturnType<typeof startMonitoringHarness>>;
  let projectId: string;
  let deployId: string;
  let today: string;

  beforeAll(async () => {
    h = await startMonitoringHarness([fixIt]);
    projectId = await h.createProject('Acme Notes', { timezone: TZ });
    expect((await h.call('PATCH', `/api/projects/${projectId}`, { notifyEmail: 'founder@acme.test' })).status).toBe(200);

    // Five weeks of a healthy product (weekday and weekend rhythms, ±10% noise, errors at ~1% of events), then a
    // deploy early yesterday after which signups fell to a third and errors jumped.
    const noise = seeded(42);
    const jitter = (n: number) => Math.round(n * (0.9 + 0.2 * noise()));
    const planted = await plantEvents(h.database.db, {
      projectId,
      timeZone: TZ,
      days: 35,
      plan: (_day, dow, ago) => {
        const weekend = dow === 0 || dow === 6;
        const signup = jitter(weekend ? 40 : 100);
        return ago === 1
          ? { signup: Math.round(signup / 3), page_view: jitter(weekend ? 150 : 300), error: 45 }
          : { signup, page_view: jitter(weekend ? 150 : 300), error: jitter(4) };
      },
    });
    today = planted.today;
    const yesterday = zonedInstant(addDays(today, -1), '00:00', TZ)!;
    const [deployed] = await h.database.db
      .insert(deploys)
      .values({ projectId, kind: 'command', commit: DEPLOYED, status: 'succeeded', startedAt: new Date(yesterday.getTime() + 10 * 60_000), finishedAt: new Date(yesterday.getTime() + 15 * 60_000) })
      .returning({ id: deploys.id });
    deployId = deployed!.id;
    const threeDaysAgo = zonedInstant(addDays(today, -3), '14:00', TZ)!;
    await h.database.db.insert(deploys).values({ projectId, kind: 'command', commit: BROKEN, status: 'failed', startedAt: threeDaysAgo, finishedAt: new Date(threeDaysAgo.getTime() + 60_000) });
  });
  afterAll(() => h?.stop());

  const findings = async () => (await h.call('GET', `/api/projects/${projectId}/findings`)).body as { monitoringConversationId: string; findings: Finding[] };

  it('finds the post-deploy drop and names the deploy and its commit, flags the error spike and the failed deploy', async () => {
    const result = await h.run<MonitorResult>('monitorWorkflow', projectId);
    expect(result.raised).toHaveLength(3);

    const { findings: found, monitoringConversationId } = await findings();
    const byKind = Object.fromEntries(found.map((f) => [f.kind, f]));
    expect(Object.keys(byKind).sort()).toEqual(['deploy_failed', 'error_spike', 'metric_change']);

    const drop = byKind.metric_change!;
    expect(drop).toMatchObject({ deployId, commit: DEPLOYED, status: 'open', details: { metric: 'signup', direction: 'drop', day: addDays(today, -1) } });
    expect(drop.summary).toMatch(/^Signups dropped \d+% on \w+day \d+ \w+: \d+, where \w+days usually bring about \d+\. It started right after the deploy of commit a1b2c3d\./);
    expect(byKind.error_spike).toMatchObject({ deployId, commit: DEPLOYED });
    expect(byKind.error_spike!.summary).toMatch(/^Errors spiked after the deploy of commit a1b2c3d/);
    expect(byKind.deploy_failed).toMatchObject({ commit: BROKEN });
    expect(byKind.deploy_failed!.summary).toMatch(/The deploy of commit deadbee failed/);

    // Raised as Assist's messages, each offering to act, and streamed to the console.
    const messages = await h.monitoringMessages(projectId);
    expect(messages).toHaveLength(3);
    expect(messages.find((m) => m.id === drop.id)?.content).toBe(`${drop.summary} Want me to fix it?`);
    const events = (await h.events(monitoringConversationId)).filter((e) => e.kind === 'assistant.message');
    expect(events.map((e) => e.payload.findingId).sort()).toEqual(found.map((f) => f.id).sort());
    expect(events[0]!.payload).toMatchObject({ replyKind: 'finding', scripted: true, offer: { action: 'act' } });

    // Anomalies reach the founder: in the feed, and by email.
    const feed = (await h.call('GET', `/api/projects/${projectId}/notifications`)).body;
    expect(feed.notifications.filter((n: { kind: string }) => n.kind === 'anomaly')).toHaveLength(3);
    await eventually('three anomaly emails', async () => (h.sink.messages.length >= 3 ? true : undefined));
    expect(h.sink.messages.map((m) => m.to)).toEqual([['founder@acme.test'], ['founder@acme.test'], ['founder@acme.test']]);
    expect(h.sink.messages.some((m) => m.subject.startsWith('Acme Notes: Signups dropped') && m.text.includes('a1b2c3d'))).toBe(true);
  });

  it('raises nothing again on the next run', async () => {
    const result = await h.run<MonitorResult>('monitorWorkflow', projectId);
    expect(result).toEqual({ detected: 3, raised: [] });
    expect((await findings()).findings).toHaveLength(3);
    expect(await h.monitoringMessages(projectId)).toHaveLength(3);
    expect(h.sink.messages).toHaveLength(3);
  });

  it("the founder's yes starts a request built from the finding and marks it acted; twice starts it once", async () => {
    const drop = (await findings()).findings.find((f) => f.kind === 'metric_change')!;
    const res = await h.call('POST', `/api/projects/${projectId}/findings/${drop.id}/act`);
    expect(res.status).toBe(202);
    const { conversationId, workflowId } = res.body;
    expect(workflowId).toBe(`request-${projectId}-${conversationId}`);
    expect(res.body.finding).toMatchObject({ status: 'acted', actedConversationId: conversationId });

    const description = await h.temporal.client.workflow.getHandle(workflowId).describe();
    expect(description.type).toBe('requestWorkflow');
    const conversation = await h.waitFor(conversationId, 'the answer', (c) => c.status !== 'running');
    expect(conversation.messages[0]).toMatchObject({ role: 'founder', content: expect.stringContaining(drop.summary) });
    expect(conversation.messages[0]!.content).toContain(DEPLOYED);

    const again = await h.call('POST', `/api/projects/${projectId}/findings/${drop.id}/act`);
    expect(again).toMatchObject({ status: 202, body: { conversationId } });
    expect((await h.call('POST', `/api/projects/${projectId}/findings/${drop.id}/dismiss`)).status).toBe(409);
  });

  it('dismisses a finding, and lists by status', async () => {
    const spike = (await findings()).findings.find((f) => f.kind === 'error_spike')!;
    const res = await h.call('POST', `/api/projects/${projectId}/findings/${spike.id}/dismiss`);
    expect(res).toMatchObject({ status: 200, body: { finding: { status: 'dismissed' } } });
    const open = (await h.call('GET', `/api/projects/${projectId}/findings?status=open`)).body.findings as Finding[];
    expect(open.map((f) => f.kind)).toEqual(['deploy_failed']);
    expect((await h.call('POST', `/api/projects/${projectId}/findings/00000000-0000-4000-8000-000000000000/act`)).status).toBe(404);
  });
});
