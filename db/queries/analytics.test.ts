import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { generateAnalyticsData, seedAnalyticsData, type GeneratedAnalytics } from '../../demo/analytics-data.js';
import { deploys, projects } from '../schema.js';
import {
  dailyCounts,
  errorRateByPlatform,
  eventNames,
  eventsAroundDeploy,
  findDeploy,
  funnel,
  lastDays,
  recentDeploys,
} from './analytics.js';
import { insertProductEvents, type NewProductEvent } from './product-events.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => new Date(iso);

describe('analytics queries on real Postgres', () => {
  let database: TestDatabase;
  let local: string; // a hand-made project in Los Angeles time
  let demo: string; // the generated demo data, in UTC
  let other: string;
  let data: GeneratedAnalytics;
  const end = at('2026-03-01T12:00:00Z');

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    const rows = await database.db
      .insert(projects)
      .values([
        { name: 'la', repoUrl: '/srv/git/la.git', timezone: 'America/Los_Angeles' },
        { name: 'demo', repoUrl: '/srv/git/demo.git' },
        { name: 'other', repoUrl: '/srv/git/other.git' },
      ])
      .returning({ id: projects.id });
    [local, demo, other] = rows.map((r) => r.id) as [string, string, string];

    let n = 0;
    const ev = (name: string, iso: string, extra: Partial<NewProductEvent> = {}): NewProductEvent => ({ eventId: `e${++n}`, name, occurredAt: at(iso), ...extra });
    await insertProductEvents(database.db, local, [
      // 2026-03-10 06:00 UTC is still the 9th in Los Angeles (23:00 PDT).
      ev('signup', '2026-03-10T06:00:00Z', { platform: 'ios', userId: 'u0' }),
      ev('signup', '2026-03-10T09:00:00Z', { platform: 'web', userId: 'u9' }),
      ev('signup', '2026-03-12T20:00:00Z', { platform: 'web', userId: 'u8' }),
      // Funnel: a1 browses, signs up (stitched by anonymousId) and activates with only its userId.
      ev('page_view', '2026-03-11T10:00:00Z', { anonymousId: 'a1', platform: 'web' }),
      ev('signup', '2026-03-11T10:05:00Z', { anonymousId: 'a1', userId: 'u1', platform: 'web' }),
      ev('activated', '2026-03-11T12:00:00Z', { userId: 'u1', platform: 'web' }),
      // a2 only browses; a3 signs up without a page view first; a4 signs up after the 24-hour window.
      ev('page_view', '2026-03-11T11:00:00Z', { anonymousId: 'a2', platform: 'web' }),
      ev('signup', '2026-03-11T11:00:00Z', { anonymousId: 'a3', userId: 'u3', platform: 'web' }),
      ev('page_view', '2026-03-11T13:00:00Z', { anonymousId: 'a4', platform: 'ios' }),
      ev('signup', '2026-03-13T13:00:00Z', { anonymousId: 'a4', userId: 'u4', platform: 'ios' }),
      ev('error', '2026-03-11T14:00:00Z', { anonymousId: 'a4', platform: 'ios' }),
    ]);
    await insertProductEvents(database.db, other, [ev('signup', '2026-03-11T10:00:00Z', { platform: 'web' })]);
    await database.db.insert(deploys).values({ projectId: other, kind: 'command', commit: 'abcdef0123456789abcdef0123456789abcdef01', status: 'succeeded', startedAt: at('2026-03-11T00:00:00Z') });
    data = await seedAnalyticsData(database.db, demo, { seed: 7, end, scale: 0.5 });
  });
  afterAll(() => database?.drop());

  it("counts an event per day in the project's time zone, every day listed, optionally by platform", async () => {
    // The 9th to the 12th in Los Angeles, on daylight time since the 8th (UTC-7).
    const range = { from: at('2026-03-09T07:00:00Z'), to: at('2026-03-13T07:00:00Z') };
    const daily = await dailyCounts(database.db, { projectId: local, timezone: 'America/Los_Angeles', event: 'signup', range });
    expect(daily).toEqual([
      { day: '2026-03-09', platform: null, count: 1 },
      { day: '2026-03-10', platform: null, count: 1 },
      { day: '2026-03-11', platform: null, count: 2 },
      { day: '2026-03-12', platform: null, count: 1 },
    ]);
    const split = await dailyCounts(database.db, { projectId: local, timezone: 'America/Los_Angeles', event: 'signup', range, byPlatform: true });
    expect(split.filter((r) => r.day === '2026-03-09')).toEqual([
      { day: '2026-03-09', platform: 'ios', count: 1 },
      { day: '2026-03-09', platform: 'web', count: 0 },
    ]);
    // In UTC the same events fall on other days.
    const utc = await dailyCounts(database.db, { projectId: local, timezone: 'UTC', event: 'signup', range });
    expect(utc.find((r) => r.day === '2026-03-10')?.count).toBe(2);
  });

  it('takes the last N calendar days from local midnight', async () => {
    const now = at('2026-03-12T05:00:00Z'); // 11th, 22:00 in Los Angeles (PDT from the 8th)
    const range = await lastDays(database.db, { timezone: 'America/Los_Angeles', days: 2, now });
    expect(range).toEqual({ from: at('2026-03-10T07:00:00Z'), to: now });
  });

  it('follows people through an ordered funnel within a window, joining anonymous visits to the user', async () => {
    const range = { from: at('2026-03-01T00:00:00Z'), to: at('2026-03-20T00:00:00Z') };
    const steps = await funnel(database.db, { projectId: local, steps: ['page_view', 'signup', 'activated'], range, windowMs: DAY });
    expect(steps).toEqual([
      { step: 'page_view', users: 3 },
      { step: 'signup', users: 1 },
      { step: 'activated', users: 1 },
    ]);
    const wide = await funnel(database.db, { projectId: local, steps: ['page_view', 'signup'], range, windowMs: 3 * DAY });
    expect(wide[1]).toEqual({ step: 'signup', users: 2 });
  });

  it('gives the error rate per platform and day', async () => {
    const rows = await errorRateByPlatform(database.db, { projectId: local, timezone: 'UTC', range: { from: at('2026-03-11T00:00:00Z'), to: at('2026-03-12T00:00:00Z') } });
    expect(rows).toEqual([
      { day: '2026-03-11', platform: 'ios', errors: 1, events: 2, rate: 0.5 },
      { day: '2026-03-11', platform: 'web', errors: 0, events: 5, rate: 0 },
    ]);
  });

  it("lists and finds a project's deploys, never another project's", async () => {
    const listed = await recentDeploys(database.db, { projectId: demo, range: { from: new Date(end.getTime() - 60 * DAY), to: end } });
    expect(listed.map((d) => d.commit)).toEqual([...data.deploys].reverse().map((d) => d.commit));
    expect(await findDeploy(database.db, demo, { commit: data.culprit.commit.slice(0, 7).toUpperCase() })).toMatchObject({ commit: data.culprit.commit });
    expect(await findDeploy(database.db, demo, { deployId: listed[0]!.id })).toMatchObject({ id: listed[0]!.id });
    expect(await findDeploy(database.db, demo, { commit: 'abcdef0' })).toBeUndefined();
    expect(await findDeploy(database.db, demo, { commit: '%' })).toBeUndefined();
  });

  it('shows the planted mobile signup drop around the culprit deploy, and only there', async () => {
    const culprit = (await findDeploy(database.db, demo, { commit: data.culprit.commit }))!;
    const around = await eventsAroundDeploy(database.db, { projectId: demo, deploy: culprit, event: 'signup', days: 7, now: end });
    const liveAt = data.culprit.finishedAt.getTime();
    const count = (platform: string, from: number, to: number) =>
      data.events.filter((e) => e.name === 'signup' && e.platform === platform && e.occurredAt.getTime() >= from && e.occurredAt.getTime() < to).length;
    for (const platform of ['android', 'ios', 'web']) {
      const row = around.platforms.find((p) => p.platform === platform)!;
      expect(row.before).toBe(count(platform, liveAt - 7 * DAY, liveAt));
      expect(row.after).toBe(count(platform, liveAt, end.getTime() + 1));
    }
    const perDay = (platform: string) => {
      const row = around.platforms.find((p) => p.platform === platform)!;
      return { before: row.before / 7, after: row.after / ((end.getTime() - liveAt) / DAY) };
    };
    for (const platform of ['ios', 'android']) expect(perDay(platform).after).toBeLessThan(perDay(platform).before * 0.5);
    expect(perDay('web').after).toBeGreaterThan(perDay('web').before * 0.7);

    // No other deploy shows a mobile drop of that size: the story has one culprit.
    for (const d of data.deploys.filter((x) => x.commit !== data.culprit.commit)) {
      const row = (await findDeploy(database.db, demo, { commit: d.commit }))!;
      const other = await eventsAroundDeploy(database.db, { projectId: demo, deploy: row, event: 'signup', days: 2, now: end });
      const mobile = other.platforms.filter((p) => p.platform !== 'web');
      const [before, after] = [mobile.reduce((s, p) => s + p.before, 0), mobile.reduce((s, p) => s + p.after, 0)];
      const afterDays = (other.after.to.getTime() - other.after.from.getTime()) / DAY;
      expect(after / afterDays, `deploy ${d.commit}`).toBeGreaterThan((before / 2) * 0.5);
    }
  });

  it('is deterministic for a seed, and stored once however often it is seeded', async () => {
    const again = generateAnalyticsData({ seed: 7, end, scale: 0.5 });
    expect(again.culprit).toEqual(data.culprit);
    expect(again.events).toEqual(data.events);
    await seedAnalyticsData(database.db, demo, { seed: 7, end, scale: 0.5 });
    const names = await eventNames(database.db, { projectId: demo, range: { from: new Date(0), to: new Date(end.getTime() + 1) } });
    expect(names.reduce((s, n) => s + n.count, 0)).toBe(data.events.length);
    expect(names.map((n) => n.name)).toEqual(['page_view', 'signup', 'error']);
    expect(await recentDeploys(database.db, { projectId: demo, range: { from: new Date(0), to: end } })).toHaveLength(data.deploys.length);
  });

  it('binds every value: a hostile event name is only a name', async () => {
    const range = { from: at('2026-03-01T00:00:00Z'), to: at('2026-03-20T00:00:00Z') };
    const hostile = "signup'; drop table product_events; --";
    expect(await dailyCounts(database.db, { projectId: local, timezone: 'UTC', event: hostile, range })).toEqual(expect.arrayContaining([expect.objectContaining({ count: 0 })]));
    expect(await funnel(database.db, { projectId: local, steps: [hostile, 'signup'], range, windowMs: DAY })).toEqual([
      { step: hostile, users: 0 },
      { step: 'signup', users: 0 },
    ]);
    const { rows } = await database.db.execute<{ n: number }>(sql`select count(*)::int as n from product_events`);
    expect(rows[0]!.n).toBeGreaterThan(0);
  });
});
