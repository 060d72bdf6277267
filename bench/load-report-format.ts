/** Number formatting and markdown tables for bench:load's report. */

const at = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Nearest-rank percentiles, the largest value and the count. */
export const pct = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return { p50: at(s, 50), p95: at(s, 95), p99: at(s, 99), max: s.at(-1) ?? NaN, n: s.length };
};
export const sec = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '–');
export const fixed = (v: number, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : '–');

/** A markdown table; columns of numbers only are right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const align = header.map((_, i) => (rows.length > 0 && rows.every((r) => /^[\d.,%–\s/sMB]+$/.test(r[i] ?? '')) ? ' ---: ' : ' --- '));
  return [`| ${header.join(' | ')} |`, `|${align.join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
