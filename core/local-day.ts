/**
 * Calendar days and clock times in the founder's time zone, as plain `YYYY-MM-DD` strings: what a daily metric
 * counts by, and when a morning briefing falls. Pure, so workflows, activities and tests share it.
 */

/** A calendar day, `YYYY-MM-DD`. */
export type Day = string;

const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar day `instant` falls on in `timeZone` (an IANA name). */
export function localDay(instant: Date, timeZone: string): Day {
  let f = dayFormatters.get(timeZone);
  if (!f) {
    // en-CA formats dates as YYYY-MM-DD.
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormatters.set(timeZone, f);
  }
  return f.format(instant);
}

/** `day` moved by `n` calendar days (negative: earlier). */
export function addDays(day: Day, n: number): Day {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** 0 (Sunday) to 6 (Saturday). */
export function weekday(day: Day): number {
  return new Date(`${day}T00:00:00Z`).getUTCDay();
}

/** "Tuesday 3 June", for sentences a founder reads. */
export function dayInWords(day: Day): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long' }).format(new Date(`${day}T00:00:00Z`));
}

/** Offset of `timeZone` from UTC at `instant`, in minutes (New York in winter: -300). */
function offsetMinutes(instant: Date, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((asUtc - instant.getTime()) / 60_000);
}

/**
 * The instant the clock reads `time` (HH:MM) on `day` in `timeZone`. DST-aware: the offset is the one in force
 * at that local time. A time skipped by a spring-forward change has no instant: `undefined`.
 */
export function zonedInstant(day: Day, time: string, timeZone: string): Date | undefined {
  const [h, m] = time.split(':').map(Number) as [number, number];
  const wall = Date.parse(`${day}T00:00:00Z`) + (h * 60 + m) * 60_000;
  // Two passes settle the offset on either side of a change.
  let guess = wall - offsetMinutes(new Date(wall), timeZone) * 60_000;
  guess = wall - offsetMinutes(new Date(guess), timeZone) * 60_000;
  const instant = new Date(guess);
  const back = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' }).format(instant);
  return localDay(instant, timeZone) === day && back === time ? instant : undefined;
}
