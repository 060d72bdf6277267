/**
 * The few series the monitor reads from product events and deploys, counted by calendar day in the founder's time
 * zone (the day a founder would name). Ranges are half-open, [from, to).
 */
import { and, desc, eq, gte, sql } from 'drizzle-orm';
import type { Day } from '../../core/local-day.js';
import type { Db } from '../client.js';
import { deploys } from '../schema.js';

/** The event name a product sends for an error; the error rate is these over all events. */
export const ERROR_EVENT = 'error';

export type DailyCount = { name: string; platform: string | null; day: Day; count: number };

/**
 * Events per name, platform and local day, for the local days from `fromDay` to `toDay` (both included).
 * Day boundaries are local midnights, so a DST day has 23 or 25 hours as it should.
 */
export async function dailyEventCounts(db: Db, q: { projectId: string; timeZone: string; fromDay: Day; toDay: Day }): Promise<DailyCount[]> {
  const result = await db.execute<{ name: string; platform: string | null; day: string; count: number }>(sql`
    select name, platform, to_char((occurred_at at time zone ${q.timeZone})::date, 'YYYY-MM-DD') as day, count(*)::int as count
      from product_events
     where project_id = ${q.projectId}
       and occurred_at >= (${q.fromDay}::date::timestamp at time zone ${q.timeZone})
       and occurred_at < ((${q.toDay}::date + 1)::timestamp at time zone ${q.timeZone})
     group by 1, 2, 3`);
  return result.rows.map((r) => ({ ...r, count: Number(r.count) }));
}

/** The local day of the project's first event of each name: before it, a metric had no data (not zero). */
export async function firstEventDays(db: Db, q: { projectId: string; timeZone: string }): Promise<Map<string, Day>> {
  const result = await db.execute<{ name: string; day: string }>(sql`
    select name, to_char((min(occurred_at) at time zone ${q.timeZone})::date, 'YYYY-MM-DD') as day
      from product_events where project_id = ${q.projectId} group by name`);
  return new Map(result.rows.map((r) => [r.name, r.day]));
}

/** Error events and all events in [from, to). */
export async function errorCounts(db: Db, q: { projectId: string; from: Date; to: Date }): Promise<{ errors: number; total: number }> {
  const result = await db.execute<{ errors: number; total: number }>(sql`
    select count(*) filter (where name = ${ERROR_EVENT})::int as errors, count(*)::int as total
      from product_events
     where project_id = ${q.projectId} and occurred_at >= ${q.from.toISOString()} and occurred_at < ${q.to.toISOString()}`);
  const row = result.rows[0];
  return { errors: Number(row?.errors ?? 0), total: Number(row?.total ?? 0) };
}

export type DeployPoint = {
  id: string;
  commit: string;
  status: string;
  startedAt: Date;
  finishedAt: Date | null;
  conversationId: string | null;
  /** The local day it finished (or started, while running). */
  day: Day;
};

/** The project's deploys started since `since`, newest first, with their local day. */
export async function deploysSince(db: Db, q: { projectId: string; timeZone: string; since: Date }): Promise<DeployPoint[]> {
  const rows = await db
    .select({
      id: deploys.id,
      commit: deploys.commit,
      status: deploys.status,
      startedAt: deploys.startedAt,
      finishedAt: deploys.finishedAt,
      conversationId: deploys.conversationId,
      day: sql<string>`to_char((coalesce(${deploys.finishedAt}, ${deploys.startedAt}) at time zone ${q.timeZone})::date, 'YYYY-MM-DD')`,
    })
    .from(deploys)
    .where(and(eq(deploys.projectId, q.projectId), gte(deploys.startedAt, q.since)))
    .orderBy(desc(deploys.startedAt));
  return rows;
}
