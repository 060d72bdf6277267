/**
 * What a model vendor's failure means for us. Providers translate their SDK's errors into LlmError; the
 * activity layer turns it into a Temporal failure (retried with backoff, or not at all). No retry loop here.
 */
export type LlmErrorKind =
  /** 429: slow down; Retry-After says for how long. */
  | 'rate_limited'
  /** 5xx, 529 overloaded, timeouts and dropped connections. */
  | 'unavailable'
  /** 400: the request itself is wrong (bad schema, unsupported parameter). */
  | 'invalid_request'
  /** 401 / 403: the key is missing, wrong or lacks permission. */
  | 'unauthorized'
  /** The prompt does not fit the model's context window. */
  | 'context_too_long'
  /** The call was cancelled (the founder stopped the request). */
  | 'aborted';

const RETRYABLE: ReadonlySet<LlmErrorKind> = new Set(['rate_limited', 'unavailable']);

/** Thrown by providers for any failed call; `retryable` and `retryAfterMs` steer Temporal's retry. */
export class LlmError extends Error {
  override readonly name = 'LlmError';
  readonly retryable: boolean;

  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    readonly provider: string,
    readonly status?: number,
    /** From the vendor's Retry-After (or equivalent), when it sent one. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retryable = RETRYABLE.has(kind);
  }
}

/** The kind of a failed HTTP call from its status and message, the same for every vendor. */
export function kindFromStatus(status: number | undefined, message: string): LlmErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'unauthorized';
  if (/context|too long|too many tokens|maximum.*tokens|exceeds/i.test(message) && (status === 400 || status === 413)) return 'context_too_long';
  if (status === 400 || status === 404 || status === 413 || status === 422) return 'invalid_request';
  return 'unavailable';
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
