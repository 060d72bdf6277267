/** Doubling delays from `minMs`, never above `maxMs`: the LISTEN connection's reconnects and a subscriber's read retries. */
export type Backoff = { minMs: number; maxMs: number };

/** The delay before the next attempt after `failures` failed ones in a row. */
export function backoffDelay({ minMs, maxMs }: Backoff, failures: number): number {
  // The exponent is capped so a long outage cannot overflow the product to Infinity.
  return Math.min(maxMs, minMs * 2 ** Math.min(failures, 16));
}
