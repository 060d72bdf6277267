/**
 * Anomaly detection for the monitor, pure so it is tested without a database. A day's count is compared with the
 * same weekday of the previous weeks (weekday seasonality is the norm: Mondays are not Saturdays) through the
 * median and the median absolute deviation, which one odd week in the baseline cannot drag the way a mean and a
 * standard deviation would.
 */
import { addDays, type Day } from './local-day.js';

/** Scales the MAD to a standard deviation for normally distributed counts. */
const MAD_TO_SD = 1.4826;

export type ChangeDetectorOptions = {
  /** Same weekdays looked back on. */
  weeks: number;
  /** Fewest baseline days needed to judge at all (a project younger than this is not judged). */
  minBaselineDays: number;
  /** Robust z-score (distance from the median in scaled MADs) from which a change counts. */
  threshold: number;
  /** And the change must be at least this share of the usual value, so a steady metric's small wobble is not news. */
  minRelativeChange: number;
  /** Metrics whose usual and new value are both below this are too small to call. */
  minCount: number;
};

export const DEFAULT_CHANGE_OPTIONS: ChangeDetectorOptions = { weeks: 4, minBaselineDays: 3, threshold: 4, minRelativeChange: 0.3, minCount: 10 };

/** A day whose count moved far from its usual value. */
export type MetricChange = {
  day: Day;
  value: number;
  /** The usual value: the median of the same weekday over the baseline weeks. */
  median: number;
  mad: number;
  /** Robust z-score; negative for a drop. */
  score: number;
  direction: 'drop' | 'jump';
  /** (value - median) / median, e.g. -0.6 for a 60% drop. */
  relativeChange: number;
  baseline: number[];
};

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median absolute deviation from the median. */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

/**
 * Whether `day`'s count is a significant change from the same weekday of the previous weeks.
 * `counts` holds daily counts by day; a day missing from it counts 0 unless it is before `firstDay` (when the
 * metric had no data yet), in which case it is left out of the baseline.
 */
export function detectChange(
  counts: Readonly<Record<Day, number>>,
  day: Day,
  firstDay: Day,
  options: Partial<ChangeDetectorOptions> = {},
): MetricChange | undefined {
  const o = { ...DEFAULT_CHANGE_OPTIONS, ...options };
  const baseline: number[] = [];
  for (let week = 1; week <= o.weeks; week++) {
    const d = addDays(day, -7 * week);
    if (d >= firstDay) baseline.push(counts[d] ?? 0);
  }
  if (baseline.length < o.minBaselineDays) return undefined;
  const value = counts[day] ?? 0;
  const m = median(baseline);
  const spread = mad(baseline);
  if (Math.max(value, m) < o.minCount) return undefined;
  // Counts are at least as noisy as Poisson; a baseline that happened to be flat (MAD 0) must not make every
  // small wobble infinitely significant.
  const scale = Math.max(MAD_TO_SD * spread, Math.sqrt(Math.max(m, 1)));
  const score = (value - m) / scale;
  const relativeChange = (value - m) / Math.max(m, 1);
  if (Math.abs(score) < o.threshold || Math.abs(relativeChange) < o.minRelativeChange) return undefined;
  return { day, value, median: m, mad: spread, score, direction: score < 0 ? 'drop' : 'jump', relativeChange, baseline };
}

/** Error events and all events in a time window. */
export type ErrorWindow = { errors: number; total: number };

export type ErrorSpikeOptions = { minErrors: number; minRatio: number; threshold: number };
export const DEFAULT_ERROR_SPIKE_OPTIONS: ErrorSpikeOptions = { minErrors: 10, minRatio: 2, threshold: 4 };

export type ErrorSpike = { beforeRate: number; afterRate: number; expectedErrors: number; errors: number; score: number };

/**
 * Whether the error rate after a deploy is a spike against the rate before it: at least `minRatio` times the
 * old rate, `minErrors` errors, and more errors than the old rate explains by `threshold` Poisson deviations.
 */
export function detectErrorSpike(before: ErrorWindow, after: ErrorWindow, options: Partial<ErrorSpikeOptions> = {}): ErrorSpike | undefined {
  const o = { ...DEFAULT_ERROR_SPIKE_OPTIONS, ...options };
  if (after.errors < o.minErrors || after.total === 0) return undefined;
  const beforeRate = before.total > 0 ? before.errors / before.total : 0;
  const afterRate = after.errors / after.total;
  const expectedErrors = beforeRate * after.total;
  const score = (after.errors - expectedErrors) / Math.sqrt(Math.max(expectedErrors, 1));
  if (afterRate < o.minRatio * beforeRate || score < o.threshold) return undefined;
  return { beforeRate, afterRate, expectedErrors, errors: after.errors, score };
}
