/**
 * What the Analytics advisor and the monitor read: counts of product events by day, funnels, error rates and
 * how an event moved around a deploy. Read-only, and every value (names, times, time zones) is a bound
 * parameter: no SQL text ever comes from a caller, let alone a model.
 */
import { and, desc, eq, gte, like, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { deploys } from '../schema.js';

/** A time range, `from` included and `to` excluded. */
export type TimeRange = { from: Date; to: Date };

/** Events sent without a platform are counted under this one. */
export const UNKNOWN_PLATFORM = 'unknown';

/** The name of the events the error rate counts. */
export const ERROR_EVENT = 'error';

const DAY_MS = 86_400_000;

/**
 * The last `days` calendar days in `timezone`, today included: from local midnight `days - 1` days before
 * `now`, up to `now`.
 */
export async function lastDays(db: DbOrTx, { timezone, days, now = new Date() }: { timezone: string; days: number; now?: Date }): Promise<TimeRange> {
  const { rows } = await db.execute<{ from: Date }>(
    sql`select (date_trunc('day', ${now.toISOString()}::timestamptz at time zone ${timezone}) - make_interval(days => ${days - 1}::int)) at time zone ${timezone} as "from"`,
  );
  return { from: new Date(rows[0]!.from), to: now };
}

/** Each calendar day (YYYY-MM-DD, in `timezone`) the range touches, in order. */
async function daysOf(db: DbOrTx, timezone: string, { from, to }: TimeRange): Promise<string[]> {
  const { rows } = await db.execute<{ day: string }>(sql`
    select to_char(d, 'YYYY-MM-DD') as day
    from generate_series(
      (${from.toISOString()}::timestamptz at time zone ${timezone})::date,
      ((${to.toISOString()}::timestamptz - interval '1 microsecond') at time zone ${timezone})::date,
      interval '1 day') as d`);
  return rows.map((r) => r.day);
}

export type DailyCount = { day: string; platform: string | null; count: number };

/**
 * How many times `event` happened each day of the range (days in the project's time zone), every day listed
 * even when zero. With `byPlatform`, one row per day and platform seen in the range.
 */
export async function dailyCounts(
  db: DbOrTx,
  { projectId, timezone, event, range, byPlatform = false }: { projectId: string; timezone: string; event: string; range: TimeRange; byPlatform?: boolean },
): Promise<DailyCount[]> {
  const platform = byPlatform ? sql`coalesce(platform, ${UNKNOWN_PLATFORM})` : sql`null::text`;
  const { rows } = await db.execute<{ day: string; platform: string | null; count: number }>(sql`
    select to_char(occurred_at at time zone ${timezone}, 'YYYY-MM-DD') as day, ${platform} as platform, count(*)::int as count
    from product_events
    where project_id = ${projectId} and name = ${event} and occurred_at >= ${range.from.toISOString()} and occurred_at < ${range.to.toISOString()}
    group by 1, 2
    order by 1, 2`);
  const counted = new Map(rows.map((r) => [`${r.day}|${r.platform ?? ''}`, r.count]));
  const seen = [...new Set(rows.map((r) => r.platform!))].sort();
  const platforms = byPlatform && seen.length > 0 ? seen : [null];
  return (await daysOf(db, timezone, range)).flatMap((day) =>
    platforms.map((p) => ({ day, platform: p, count: counted.get(`${day}|${p ?? ''}`) ?? 0 })),
  );
}

export type FunnelStep = { step: string; users: number };

/**
 * An ordered funnel: how many people did step 1 in the range, then step 2 after it, then step 3 after that,
 * each within `windowMs` of their first step 1. A person is their userId; anonymous events are joined to the
 * user who later sent the same anonymousId alongside a userId (the usual identity stitching).
 */
export async function funnel(
  db: DbOrTx,
  { projectId, steps, range, windowMs }: { projectId: string; steps: string[]; range: TimeRange; windowMs: number },
): Promise<FunnelStep[]> {
  if (steps.length < 2) throw new Error('a funnel needs at least two steps');
  const window = sql`make_interval(secs => ${Math.round(windowMs / 1000)}::int)`;
  const from = range.from.toISOString();
  const to = range.to.toISOString();
  const stage = (i: number) => sql.identifier(`s${i}`);
  const stages = steps.map((step, i) =>
    i === 0
      ? sql`${stage(0)} as (select actor, min(occurred_at) as t0, min(occurred_at) as t from ev where name = ${step} and occurred_at >= ${from} and occurred_at < ${to} group by actor)`
      : sql`${stage(i)} as (
          select s.actor, s.t0, min(e.occurred_at) as t from ${stage(i - 1)} s
          join ev e on e.actor = s.actor and e.name = ${step} and e.occurred_at > s.t and e.occurred_at <= s.t0 + ${window}
          group by s.actor, s.t0)`,
  );
  const counts = steps.map((_, i) => sql`(select count(*) from ${stage(i)})::int as ${sql.identifier(`c${i}`)}`);
  const { rows } = await db.execute<Record<string, number>>(sql`
    with ids as (
      select distinct on (anonymous_id) anonymous_id, user_id from product_events
      where project_id = ${projectId} and anonymous_id is not null and user_id is not null
      order by anonymous_id, occurred_at
    ),
    ev as (
      select coalesce(e.user_id, ids.user_id, e.anonymous_id) as actor, e.name, e.occurred_at
      from product_events e left join ids on ids.anonymous_id = e.anonymous_id
      where e.project_id = ${projectId} and e.name in (${sql.join(steps.map((s) => sql`${s}`), sql`, `)})
        and e.occurred_at >= ${from} and e.occurred_at < ${to}::timestamptz + ${window}
        and coalesce(e.user_id, e.anonymous_id) is not null
    ),
    ${sql.join(stages, sql`, `)}
    select ${sql.join(counts, sql`, `)}`);
  return steps.map((step, i) => ({ step, users: rows[0]![`c${i}`] ?? 0 }));
}

export type ErrorRate = { day: string; platform: string; errors: number; events: number; rate: number };

/**
 * Each day's error rate per platform: events named `error` over all events of that platform that day (errors
 * included), so a platform whose users stop doing anything but fail shows it.
 */
export async function errorRateByPlatform(
  db: DbOrTx,
  { projectId, timezone, range }: { projectId: string; timezone: string; range: TimeRange },
): Promise<ErrorRate[]> {
  const { rows } = await db.execute<{ day: string; platform: string; errors: number; events: number }>(sql`
    select to_char(occurred_at at time zone ${timezone}, 'YYYY-MM-DD') as day, coalesce(platform, ${UNKNOWN_PLATFORM}) as platform,
           count(*) filter (where name = ${ERROR_EVENT})::int as errors, count(*)::int as events
    from product_events
    where project_id = ${projectId} and occurred_at >= ${range.from.toISOString()} and occurred_at < ${range.to.toISOString()}
    group by 1, 2
    order by 1, 2`);
  return rows.map((r) => ({ ...r, rate: r.events === 0 ? 0 : r.errors / r.events }));
}

export type DeployRow = { id: string; commit: string; status: string; startedAt: Date; finishedAt: Date | null };

const deployColumns = { id: deploys.id, commit: deploys.commit, status: deploys.status, startedAt: deploys.startedAt, finishedAt: deploys.finishedAt };

/** The project's deploys started in the range, newest first. */
export async function recentDeploys(db: DbOrTx, { projectId, range, limit = 50 }: { projectId: string; range: TimeRange; limit?: number }): Promise<DeployRow[]> {
  return db
    .select(deployColumns)
    .from(deploys)
    .where(and(eq(deploys.projectId, projectId), gte(deploys.startedAt, range.from), lt(deploys.startedAt, range.to)))
    .orderBy(desc(deploys.startedAt))
    .limit(limit);
}

/** A deploy of the project by id, or the newest whose commit starts with `commit`; undefined when none. */
export async function findDeploy(db: DbOrTx, projectId: string, which: { deployId: string } | { commit: string }): Promise<DeployRow | undefined> {
  const match =
    'deployId' in which
      ? eq(deploys.id, which.deployId)
      : like(deploys.commit, `${which.commit.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const [row] = await db
    .select(deployColumns)
    .from(deploys)
    .where(and(eq(deploys.projectId, projectId), match))
    .orderBy(desc(deploys.startedAt))
    .limit(1);
  return row;
}

export type AroundDeployPlatform = {
  platform: string;
  /** Occurrences of the event in the window before the deploy, and after it. */
  before: number;
  after: number;
  /** All events of the platform in each window, the denominator of a rate. */
  beforeTotal: number;
  afterTotal: number;
};

export type AroundDeploy = {
  /** When the deploy went live (finishedAt, or startedAt for one that never finished). */
  at: Date;
  before: TimeRange;
  /** Ends at `now` when the deploy is more recent than `days`. */
  after: TimeRange;
  platforms: AroundDeployPlatform[];
};

/**
 * Counts of `event` by platform in the `days` before a deploy went live and the `days` after (up to `now`),
 * with every platform's total events in each window.
 */
export async function eventsAroundDeploy(
  db: DbOrTx,
  { projectId, deploy, event, days, now = new Date() }: { projectId: string; deploy: DeployRow; event: string; days: number; now?: Date },
): Promise<AroundDeploy> {
  const at = deploy.finishedAt ?? deploy.startedAt;
  const before = { from: new Date(at.getTime() - days * DAY_MS), to: at };
  const after = { from: at, to: new Date(Math.max(at.getTime(), Math.min(at.getTime() + days * DAY_MS, now.getTime()))) };
  const atIso = at.toISOString();
  const { rows } = await db.execute<AroundDeployPlatform>(sql`
    select coalesce(platform, ${UNKNOWN_PLATFORM}) as platform,
           count(*) filter (where name = ${event} and occurred_at < ${atIso})::int as "before",
           count(*) filter (where name = ${event} and occurred_at >= ${atIso})::int as "after",
           count(*) filter (where occurred_at < ${atIso})::int as "beforeTotal",
           count(*) filter (where occurred_at >= ${atIso})::int as "afterTotal"
    from product_events
    where project_id = ${projectId} and occurred_at >= ${before.from.toISOString()} and occurred_at < ${after.to.toISOString()}
    group by 1
    order by 1`);
  return { at, before, after, platforms: rows };
}

/** The event names a project has sent in the range, most frequent first. */
export async function eventNames(db: DbOrTx, { projectId, range, limit = 100 }: { projectId: string; range: TimeRange; limit?: number }): Promise<Array<{ name: string; count: number }>> {
  const { rows } = await db.execute<{ name: string; count: number }>(sql`
    select name, count(*)::int as count from product_events
    where project_id = ${projectId} and occurred_at >= ${range.from.toISOString()} and occurred_at < ${range.to.toISOString()}
    group by name order by count(*) desc, name limit ${limit}`);
  return rows;
}
