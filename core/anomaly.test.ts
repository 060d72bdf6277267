import { describe, expect, it } from 'vitest';
import { detectChange, detectErrorSpike, mad, median } from './anomaly.js';
import { addDays, weekday, type Day } from './local-day.js';

/** Deterministic noise: a small linear congruential generator, so every run sees the same series. */
function seeded(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Five weeks of daily signups: ~100 on weekdays, ~40 at weekends, ±10% noise; `last` is the newest day. */
function signups(last: Day, seed = 7): Record<Day, number> {
  const rand = seeded(seed);
  const counts: Record<Day, number> = {};
  for (let i = 34; i >= 0; i--) {
    const day = addDays(last, -i);
    const base = weekday(day) === 0 || weekday(day) === 6 ? 40 : 100;
    counts[day] = Math.round(base * (0.9 + 0.2 * rand()));
  }
  return counts;
}

const LAST: Day = '2026-03-17'; // a Tuesday
const FIRST = addDays(LAST, -34);

describe('median and MAD', () => {
  it('are robust to one outlier', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(mad([10, 11, 9, 10, 500])).toBe(1);
  });
});

describe('detectChange', () => {
  it('flags a planted drop', () => {
    const counts = { ...signups(LAST), [LAST]: 35 };
    const change = detectChange(counts, LAST, FIRST);
    expect(change).toMatchObject({ day: LAST, value: 35, direction: 'drop' });
    expect(change!.relativeChange).toBeLessThan(-0.5);
    expect(change!.baseline).toHaveLength(4);
  });

  it('flags a planted jump', () => {
    const counts = { ...signups(LAST), [LAST]: 230 };
    expect(detectChange(counts, LAST, FIRST)).toMatchObject({ direction: 'jump', value: 230 });
  });

  it('does not flag ordinary noise on any day of the last week, whatever the seed', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const counts = signups(LAST, seed);
      for (let i = 0; i < 7; i++) expect(detectChange(counts, addDays(LAST, -i), FIRST), `seed ${seed}, day -${i}`).toBeUndefined();
    }
  });

  it('does not flag weekday seasonality: a quiet Saturday is judged against Saturdays', () => {
    const saturday = addDays(LAST, -3);
    expect(weekday(saturday)).toBe(6);
    const counts = signups(LAST);
    expect(counts[saturday]).toBeLessThan(50);
    expect(detectChange(counts, saturday, FIRST)).toBeUndefined();
    // The same Saturday count on a Tuesday is a drop.
    expect(detectChange({ ...counts, [LAST]: counts[saturday]! }, LAST, FIRST)?.direction).toBe('drop');
  });

  it('needs enough history, and ignores metrics too small to call', () => {
    const counts = { ...signups(LAST), [LAST]: 5 };
    expect(detectChange(counts, LAST, addDays(LAST, -14))).toBeUndefined();
    const tiny: Record<Day, number> = {};
    for (let i = 1; i <= 4; i++) tiny[addDays(LAST, -7 * i)] = 3;
    expect(detectChange({ ...tiny, [LAST]: 8 }, LAST, FIRST)).toBeUndefined();
  });

  it('does not treat a flat baseline as zero noise', () => {
    const flat: Record<Day, number> = {};
    for (let i = 1; i <= 4; i++) flat[addDays(LAST, -7 * i)] = 100;
    expect(detectChange({ ...flat, [LAST]: 112 }, LAST, FIRST)).toBeUndefined();
    expect(detectChange({ ...flat, [LAST]: 20 }, LAST, FIRST)?.direction).toBe('drop');
  });
});

describe('detectErrorSpike', () => {
  it('flags an error rate several times the old one', () => {
    expect(detectErrorSpike({ errors: 20, total: 2_000 }, { errors: 60, total: 300 })).toMatchObject({ errors: 60 });
  });
  it('ignores a steady rate, and too few errors to call', () => {
    expect(detectErrorSpike({ errors: 20, total: 2_000 }, { errors: 4, total: 300 })).toBeUndefined();
    expect(detectErrorSpike({ errors: 200, total: 2_000 }, { errors: 35, total: 300 })).toBeUndefined();
    expect(detectErrorSpike({ errors: 0, total: 2_000 }, { errors: 5, total: 10 })).toBeUndefined();
  });
});
