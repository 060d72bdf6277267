/**
 * Generated analytics for the demo project, so "Why did signups drop last week?" has a true answer to find:
 * six weeks of page views, signups and errors on web, iOS and Android with a weekly rhythm, a deploy every few
 * days, and one deploy (six days before the end) after which mobile signups fall by three quarters while the
 * mobile error rate jumps from about 0.2% to about 8%. Deterministic for a seed and an end time.
 */
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { insertProductEvents, type NewProductEvent } from '../db/queries/product-events.js';
import { deploys } from '../db/schema.js';

export const ANALYTICS_PLATFORMS = ['web', 'ios', 'android'] as const;
export type AnalyticsPlatform = (typeof ANALYTICS_PLATFORMS)[number];

export type GeneratedDeploy = { commit: string; startedAt: Date; finishedAt: Date };

export type GeneratedAnalytics = {
  events: NewProductEvent[];
  deploys: GeneratedDeploy[];
  /** The deploy after which mobile signups fell. */
  culprit: GeneratedDeploy;
};

export type AnalyticsDataOptions = {
  seed?: number;
  /** The last moment with data; defaults to now. */
  end?: Date;
  weeks?: number;
  /** Multiplies the visitor counts (1: about 20,000 events over six weeks). */
  scale?: number;
};

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const VISITORS_PER_DAY: Record<AnalyticsPlatform, number> = { web: 240, ios: 110, android: 90 };
const SIGNUP_RATE: Record<AnalyticsPlatform, number> = { web: 0.08, ios: 0.1, android: 0.09 };
/** Sunday first, as Date#getUTCDay counts. */
const WEEKDAY_FACTOR = [0.6, 1.05, 1.1, 1.1, 1.05, 0.95, 0.65];
/** What the culprit deploy does to mobile: signups kept, and how often a visitor then hits an error. */
const MOBILE_SIGNUPS_KEPT = 0.25;
const ERROR_CHANCE = { normal: 0.002, broken: 0.09 };
const CULPRIT_DAYS_BEFORE_END = 6;

/** mulberry32: a small, fast, seedable generator; the same seed gives the same data everywhere. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const hex = (rand: () => number, length: number) => Array.from({ length }, () => Math.floor(rand() * 16).toString(16)).join('');

/** Generates the data without touching a database. */
export function generateAnalyticsData({ seed = 42, end = new Date(), weeks = 6, scale = 1 }: AnalyticsDataOptions = {}): GeneratedAnalytics {
  const rand = random(seed);
  const endMs = end.getTime();
  // Whole UTC days, so the weekly rhythm falls on real weekdays.
  const firstDay = Math.floor(endMs / DAY_MS) * DAY_MS - (weeks * 7 - 1) * DAY_MS;
  const deployAt = (dayStart: number, hourUtc: number): GeneratedDeploy => {
    const startedAt = new Date(dayStart + hourUtc * 3_600_000);
    return { commit: hex(rand, 40), startedAt, finishedAt: new Date(startedAt.getTime() + 3 * MINUTE_MS) };
  };

  const culprit = deployAt(Math.floor(endMs / DAY_MS) * DAY_MS - CULPRIT_DAYS_BEFORE_END * DAY_MS, 14);
  const culpritMs = culprit.finishedAt.getTime();
  // A deploy every four days, none within two days of the culprit, so the drop belongs to one deploy only.
  const all: GeneratedDeploy[] = [culprit];
  for (let day = firstDay + 2 * DAY_MS; day < endMs - DAY_MS; day += 4 * DAY_MS) {
    const d = deployAt(day, 10 + Math.floor(rand() * 8));
    if (Math.abs(d.finishedAt.getTime() - culpritMs) >= 2 * DAY_MS && d.finishedAt.getTime() < endMs) all.push(d);
  }
  all.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());

  const events: NewProductEvent[] = [];
  let seq = 0;
  const push = (e: Omit<NewProductEvent, 'eventId'>) => {
    if (e.occurredAt.getTime() <= endMs) events.push({ eventId: `demo-${seed}-${++seq}`, ...e });
  };
  let visitor = 0;
  for (let day = firstDay; day <= endMs; day += DAY_MS) {
    const weekday = WEEKDAY_FACTOR[new Date(day).getUTCDay()]!;
    for (const platform of ANALYTICS_PLATFORMS) {
      const visitors = Math.round(VISITORS_PER_DAY[platform] * weekday * scale * (0.9 + rand() * 0.2));
      for (let v = 0; v < visitors; v++) {
        const anonymousId = `anon-${seed}-${++visitor}`;
        const at = day + Math.floor(rand() * DAY_MS);
        const broken = platform !== 'web' && at >= culpritMs;
        push({ name: 'page_view', anonymousId, platform, properties: { path: rand() < 0.7 ? '/' : '/pricing' }, occurredAt: new Date(at) });
        const signupRate = SIGNUP_RATE[platform] * (broken ? MOBILE_SIGNUPS_KEPT : 1);
        if (rand() < signupRate) {
          push({ name: 'signup', userId: `user-${seed}-${visitor}`, anonymousId, platform, properties: { method: 'email' }, occurredAt: new Date(at + (1 + Math.floor(rand() * 9)) * MINUTE_MS) });
        }
        if (rand() < (broken ? ERROR_CHANCE.broken : ERROR_CHANCE.normal)) {
          const properties = broken ? { message: 'Signup form validation failed', screen: 'signup' } : { message: 'Network request timed out', screen: 'home' };
          push({ name: 'error', anonymousId, platform, properties, occurredAt: new Date(at + 30_000 + Math.floor(rand() * 4 * MINUTE_MS)) });
        }
      }
    }
  }
  events.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
  return { events, deploys: all, culprit };
}

/**
 * Generates the data and stores it for a project: its events (idempotent by event id) and its deploys (once:
 * skipped when the culprit's commit is already recorded).
 */
export async function seedAnalyticsData(db: Db, projectId: string, options: AnalyticsDataOptions = {}): Promise<GeneratedAnalytics> {
  const data = generateAnalyticsData(options);
  await insertProductEvents(db, projectId, data.events);
  const [seen] = await db.select({ id: deploys.id }).from(deploys).where(and(eq(deploys.projectId, projectId), eq(deploys.commit, data.culprit.commit)));
  if (!seen) {
    await db.insert(deploys).values(data.deploys.map((d) => ({ projectId, kind: 'command', commit: d.commit, status: 'succeeded', startedAt: d.startedAt, finishedAt: d.finishedAt })));
  }
  return data;
}
