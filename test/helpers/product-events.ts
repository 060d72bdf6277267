/**
 * Deterministic product events for monitoring tests: daily counts per event name over past local days, spread
 * evenly through each day, with a seeded noise so every run sees the same series.
 */
import { addDays, localDay, weekday, zonedInstant, type Day } from '../../core/local-day.js';
import type { Db } from '../../db/client.js';
import { productEvents } from '../../db/schema.js';

/** A small linear congruential generator: the same seed, the same numbers. */
export function seeded(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** How many events of each name a local day gets. */
export type DailyPlan = (day: Day, dow: number, daysAgo: number) => Record<string, number>;

/**
 * Inserts the events of the `days` local days before today (in `timeZone`), as `plan` says; returns today's
 * local day. Each event sits at an even step through its day, between that day's local midnights.
 */
export async function plantEvents(db: Db, opts: { projectId: string; timeZone: string; days: number; plan: DailyPlan; platform?: string; now?: Date }) {
  const today = localDay(opts.now ?? new Date(), opts.timeZone);
  const rows: Array<typeof productEvents.$inferInsert> = [];
  for (let ago = opts.days; ago >= 1; ago--) {
    const day = addDays(today, -ago);
    const start = zonedInstant(day, '00:00', opts.timeZone)!.getTime();
    const end = zonedInstant(addDays(day, 1), '00:00', opts.timeZone)!.getTime();
    for (const [name, count] of Object.entries(opts.plan(day, weekday(day), ago))) {
      for (let i = 0; i < count; i++) {
        rows.push({
          projectId: opts.projectId,
          eventId: `${name}-${day}-${i}`,
          name,
          platform: opts.platform ?? 'web',
          anonymousId: `visitor-${i}`,
          occurredAt: new Date(start + ((i + 0.5) * (end - start)) / count),
        });
      }
    }
  }
  for (let i = 0; i < rows.length; i += 1_000) await db.insert(productEvents).values(rows.slice(i, i + 1_000));
  return { today, inserted: rows.length };
}
