/**
 * Wrong tokens, counted per address. The auth hook answers before @fastify/rate-limit runs (which counts per
 * authenticated caller), so guesses were never limited. Here each wrong bearer token or forged ticket counts
 * against the caller's address; past the limit within the window, further guesses from it are answered 429
 * without a database lookup, while its valid tokens keep working. Kept in the process's memory: a guess must
 * not cost a write, and the count is a bound on guessing, not an account of it (with several API processes an
 * address gets the limit at each).
 */
import { isIPv6 } from 'node:net';

export const DEFAULT_WRONG_TOKEN_LIMIT_PER_MINUTE = 20;
const WINDOW_MS = 60_000;
/** Addresses tracked at once; beyond it the oldest windows are forgotten first. */
const MAX_ADDRESSES = 100_000;

type Window = { count: number; resetAt: number };

/**
 * The address a count is kept for: IPv4 as is (also when mapped into IPv6), IPv6 by its /64, the block one
 * host is usually given, so a client cannot start a fresh count with each of its addresses.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export class WrongTokenLimit {
  private readonly windows = new Map<string, Window>();

  constructor(
    readonly maxPerWindow: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds the address must wait before its next wrong attempt is looked at; 0 while it is under the limit. */
  retryAfter(ip: string): number {
    const w = this.current(addressKey(ip));
    return w && w.count >= this.maxPerWindow ? Math.max(1, Math.ceil((w.resetAt - this.now()) / 1000)) : 0;
  }

  /** Counts one wrong attempt from the address. */
  record(ip: string): void {
    const key = addressKey(ip);
    const w = this.current(key) ?? { count: 0, resetAt: this.now() + WINDOW_MS };
    w.count += 1;
    // Re-inserted so the map's order is least recently counted first, the order it is trimmed in.
    this.windows.delete(key);
    this.windows.set(key, w);
    // Full: the address counted least recently goes (an expired window first, since they were counted earliest).
    if (this.windows.size > MAX_ADDRESSES) this.windows.delete(this.windows.keys().next().value!);
  }

  private current(key: string): Window | undefined {
    const w = this.windows.get(key);
    if (w && w.resetAt <= this.now()) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }
}

/**
 * Hashes of project tokens that were valid here lately. An address over the limit still has such a token
 * looked up (a founder behind the same address as a guesser keeps working); anything else it sends is a guess
 * and answered 429 without one. Only ever a reason to look a token up, never to accept it: revocation still
 * takes effect at the next request.
 */
export class RecentTokens {
  private readonly hashes = new Set<string>();

  constructor(private readonly max = 10_000) {}

  has(hash: string): boolean {
    return this.hashes.has(hash);
  }

  add(hash: string): void {
    this.hashes.delete(hash);
    this.hashes.add(hash);
    if (this.hashes.size > this.max) this.hashes.delete(this.hashes.values().next().value!);
  }

  delete(hash: string): void {
    this.hashes.delete(hash);
  }
}
