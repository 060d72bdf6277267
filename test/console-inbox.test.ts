/**
 * The Inbox in a real browser: what the real monitor found (a signup drop right after a deploy) and the morning
 * briefing, each labelled as an automatic summary; the unread count in the nav, live from the stream; "Mark all
 * read"; a finding raised while the page is open; "Fix it" starting a request; "Dismiss"; and the visit ping.
 */
import { eq } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, zonedInstant } from '../core/local-day.js';
import { deploys, projects } from '../db/schema.js';
import { scenarioSchema } from '../llm/scenario.js';
import type { BriefingWorkflowResult } from '../workflows/briefing.js';
import type { MonitorResult } from '../workflows/monitor.js';
import { launchConsoleBrowser, serve, type ConsoleBrowser } from './helpers/browser.js';
import { startMonitoringHarness } from './helpers/monitoring-harness.js';
import { eventually } from './helpers/poll.js';
import { plantEvents, seeded } from './helpers/product-events.js';

// The founder's "Fix it" starts a request; Assist answers it at once here.
const fixIt = scenarioSchema.parse({ name: 'fix it', match: '^The monitor noticed', assist: [{ kind: 'answer', text: 'Looking into it now.' }] });

const TZ = 'America/New_York';
const DEPLOYED = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const BROKEN = 'deadbeefcafe0123456789abcdef0123456789ab';

type Finding = { id: string; kind: string; summary: string; commit: string | null; status: string; actedConversationId: string | null };

describe('the console Inbox', () => {
  let h: Awaited<ReturnType<typeof startMonitoringHarness>>;
  let browser: ConsoleBrowser;
  let baseUrl: string;
  let projectId: string;
  let page: Page;

  beforeAll(async () => {
    h = await startMonitoringHarness([fixIt]);
    projectId = await h.createProject('Acme Notes', { timezone: TZ });

    // Five weeks of steady signups, then a deploy early yesterday after which they fell to a third.
    const noise = seeded(7);
    const jitter = (n: number) => Math.round(n * (0.9 + 0.2 * noise()));
    const { today } = await plantEvents(h.database.db, {
      projectId,
      timeZone: TZ,
      days: 35,
      plan: (_day, dow, ago) => {
        const weekend = dow === 0 || dow === 6;
        const signup = jitter(weekend ? 40 : 100);
        return { signup: ago === 1 ? Math.round(signup / 3) : signup, page_view: jitter(weekend ? 150 : 300) };
      },
    });
    const yesterday = zonedInstant(addDays(today, -1), '00:00', TZ)!;
    await h.database.db
      .insert(deploys)
      .values({ projectId, kind: 'command', commit: DEPLOYED, status: 'succeeded', startedAt: new Date(yesterday.getTime() + 10 * 60_000), finishedAt: new Date(yesterday.getTime() + 15 * 60_000) });

    expect((await h.run<MonitorResult>('monitorWorkflow', projectId)).raised.length).toBeGreaterThan(0);
    expect(await h.run<BriefingWorkflowResult>('briefingWorkflow', projectId)).toEqual({ written: true });

    baseUrl = await serve(h.app);
    browser = await launchConsoleBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  const findings = async () => (await h.call('GET', `/api/projects/${projectId}/findings`)).body.findings as Finding[];
  const unreadInApi = async () => ((await h.call('GET', `/api/projects/${projectId}/notifications?unread=1`)).body.notifications as unknown[]).length;
  const lastVisit = async () => (await h.database.db.select({ at: projects.lastVisitAt }).from(projects).where(eq(projects.id, projectId)))[0]!.at;
  const badge = (n: number) => page.locator('[data-testid="inbox-badge"]', { hasText: new RegExp(`^${n}$`) });
  const messageOf = (findingId: string) => page.locator(`[data-testid="inbox-message"][data-finding-id="${findingId}"]`);

  it("shows the finding naming the deploy's commit and the briefing as automatic summaries, counts unread, and marks all read", async () => {
    expect(await lastVisit()).toBeNull();
    const drop = (await findings()).find((f) => f.kind === 'metric_change')!;
    expect(drop).toMatchObject({ commit: DEPLOYED, status: 'open' });

    page = await browser.open(baseUrl, `/projects/${projectId}/inbox`);
    await page.getByTestId('inbox-page').waitFor();

    // The finding, naming the deploy's commit, with its offer to act; written by a template, so no "scripted demo".
    const finding = messageOf(drop.id);
    await finding.waitFor();
    await expect(finding.innerText()).resolves.toContain(drop.summary);
    await expect(finding.innerText()).resolves.toContain(DEPLOYED.slice(0, 7));
    await expect(finding.getByTestId('automatic-label').innerText()).resolves.toMatch(/automatic summary/i);
    await expect(finding.getByTestId('scripted-label').count()).resolves.toBe(0);
    await finding.getByTestId('finding-act').waitFor();
    await finding.getByTestId('finding-dismiss').waitFor();

    // The morning briefing, newest first, labelled the same way.
    const first = page.getByTestId('inbox-message').first();
    await expect(first.getAttribute('data-kind')).resolves.toBe('briefing');
    await expect(first.innerText()).resolves.toMatch(/Good morning/);
    await expect(first.getByTestId('automatic-label').count()).resolves.toBe(1);
    await expect(page.getByTestId('scripted-label').count()).resolves.toBe(0);

    // The nav's count is the API's unread count: an anomaly per finding, and the briefing.
    const unread = await unreadInApi();
    expect(unread).toBe((await findings()).length + 1);
    await badge(unread).waitFor();
    await expect(page.locator('[data-testid="notification"][data-read="false"]').count()).resolves.toBe(unread);

    // Opening the project told the API the founder looked.
    await eventually('the visit recorded', async () => (await lastVisit()) ?? undefined);

    await page.getByTestId('mark-all-read').click();
    await page.getByTestId('inbox-badge').waitFor({ state: 'detached' });
    await page.locator('[data-testid="notification"][data-read="false"]').first().waitFor({ state: 'detached' });
    expect(await unreadInApi()).toBe(0);
    expect(browser.pageErrors).toEqual([]);
  });

  it('shows a finding raised while the page is open, and its notification, without a reload', async () => {
    await page.evaluate(() => Object.assign(window, { stillTheSamePage: true }));
    const before = new Set((await findings()).map((f) => f.id));

    const startedAt = new Date(Date.now() - 3600_000);
    await h.database.db.insert(deploys).values({ projectId, kind: 'command', commit: BROKEN, status: 'failed', startedAt, finishedAt: new Date(startedAt.getTime() + 60_000) });
    expect((await h.run<MonitorResult>('monitorWorkflow', projectId)).raised).toHaveLength(1);
    const failed = (await findings()).find((f) => !before.has(f.id))!;
    expect(failed).toMatchObject({ kind: 'deploy_failed', commit: BROKEN });

    const message = messageOf(failed.id);
    await message.waitFor({ timeout: 30_000 });
    await expect(message.innerText()).resolves.toContain(BROKEN.slice(0, 7));
    await expect(page.getByTestId('inbox-message').first().getAttribute('data-finding-id')).resolves.toBe(failed.id);
    await page.locator('[data-testid="notification"][data-read="false"]', { hasText: BROKEN.slice(0, 7) }).waitFor();
    await badge(1).waitFor();
    expect(await unreadInApi()).toBe(1);
    expect(await page.evaluate(() => (window as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);
    expect(browser.pageErrors).toEqual([]);
  });

  it('"Fix it" opens the request it started, and "Dismiss" puts a finding away', async () => {
    const all = await findings();
    const drop = all.find((f) => f.kind === 'metric_change')!;
    const failed = all.find((f) => f.kind === 'deploy_failed')!;

    await messageOf(drop.id).getByTestId('finding-act').click();
    await page.waitForURL(new RegExp(`/projects/${projectId}/conversations/[0-9a-f-]{36}$`));
    const conversationId = page.url().split('/').at(-1)!;
    const founder = page.locator('[data-testid="message"][data-role="founder"]').first();
    await founder.filter({ hasText: drop.summary }).waitFor();
    await expect(founder.innerText()).resolves.toContain(DEPLOYED);
    expect((await findings()).find((f) => f.id === drop.id)).toMatchObject({ status: 'acted', actedConversationId: conversationId });

    // Back in the Inbox the acted finding offers no more buttons, and links to its request.
    await page.getByTestId('nav-inbox').click();
    const acted = messageOf(drop.id);
    await page.locator(`[data-testid="inbox-message"][data-finding-id="${drop.id}"][data-status="acted"]`).waitFor();
    await expect(acted.getByTestId('finding-act').count()).resolves.toBe(0);
    await expect(acted.getByTestId('finding-dismiss').count()).resolves.toBe(0);
    await acted.getByTestId('finding-conversation').waitFor();

    await messageOf(failed.id).getByTestId('finding-dismiss').click();
    await page.locator(`[data-testid="inbox-message"][data-finding-id="${failed.id}"][data-status="dismissed"]`).waitFor();
    await expect(messageOf(failed.id).getByTestId('finding-act').count()).resolves.toBe(0);
    expect((await findings()).find((f) => f.id === failed.id)?.status).toBe('dismissed');
    expect(browser.pageErrors).toEqual([]);
  });
});
