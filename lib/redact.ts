/**
 * Keeps secrets out of everything VIBN writes down: session events (which the founder's console streams) and
 * logs. Two nets: the exact values of the secrets this process knows (model keys, project tokens), and
 * patterns of well-known credential formats, for secrets it was never told about.
 */

const known = new Set<string>();

/** Shorter strings would redact ordinary words; no real credential is this short. */
const MIN_SECRET_LENGTH = 8;

const PATTERNS: RegExp[] = [
  /\bsk-(?:ant-)?[A-Za-z0-9_-]{16,}/g, // Anthropic / OpenAI-style keys
  /\bAIza[0-9A-Za-z_-]{30,}/g, // Google API keys
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g, // GitHub tokens
  /\bglpat-[A-Za-z0-9_-]{20,}/g, // GitLab tokens
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /(\bBearer\s+)[A-Za-z0-9._~+/=-]{16,}/gi,
  /(\/\/[^/\s:@"]+:)[^@\s/"]+(@)/g, // credentials inside URLs (never across a JSON string's end)
  /\bvibn_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}/g, // our project tokens
  /([?&](?:ticket|token)=)[^&\s"#]+/gi, // stream tickets and tokens in query strings (browsers' WebSockets)
];

export const REDACTED = '[redacted]';

/** Tells the redactor about secret values (model keys, project tokens); empty and short values are ignored. */
export function registerSecrets(values: Iterable<string | undefined | null>): void {
  for (const v of values) {
    if (!v || v.length < MIN_SECRET_LENGTH) continue;
    known.add(v);
    // Log lines are JSON: a secret with a quote, backslash or control character appears there escaped.
    const escaped = JSON.stringify(v).slice(1, -1);
    if (escaped !== v) known.add(escaped);
  }
}

export function redactText(text: string): string {
  let out = text;
  for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  for (const pattern of PATTERNS) {
    out = out.replace(pattern, (match, prefix?: string, suffix?: string) =>
      typeof prefix === 'string' && typeof suffix === 'string' ? `${prefix}${REDACTED}${suffix}` : typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}${REDACTED}` : REDACTED,
    );
  }
  return out;
}

/** How far `redactDeep` walks; what lies beyond is replaced by a marker, never walked. */
export type DeepLimits = {
  maxDepth: number;
  maxStringLength?: number;
  maxEntries?: number;
  maxNodes?: number;
  /** Keys whose values are replaced whole, whatever they hold (a parsed query's `ticket`, a `password`). */
  secretKeys?: RegExp;
};

/** Event payloads are ours and already bounded in size; the depth bound only guards against a cycle's cousin. */
const PAYLOAD_LIMITS: DeepLimits = { maxDepth: 64 };

export const CIRCULAR = '[circular]';
export const TOO_DEEP = '[too deep]';
export const TOO_LARGE = '[too large]';

/** One copy in progress: its bounds, what each string (value or key) becomes, and what it has walked so far. */
type Walk = { limits: DeepLimits; text: (s: string) => string; enclosing: Set<object>; nodes: number };

/**
 * A copy of any JSON-like value with every string redacted (keys included). Safe on anything: a reference back
 * to an enclosing object becomes `[circular]`, nesting past `maxDepth` becomes `[too deep]`, and with the
 * optional bounds long strings are cut, large objects and arrays keep their first entries, and past
 * `maxNodes` values in all nothing more is copied.
 */
export function redactDeep<T>(value: T, limits: DeepLimits = PAYLOAD_LIMITS): T {
  return walk(value, { limits, text: (s) => redactText(cut(s, limits.maxStringLength)), enclosing: new Set(), nodes: 0 }, 0) as T;
}

/**
 * The same bounded copy with its strings only cut, not redacted (secret-named keys are still replaced): for a
 * caller that redacts the serialized whole afterwards, as the logger does each line.
 */
export function boundedCopy<T>(value: T, limits: DeepLimits): T {
  return walk(value, { limits, text: (s) => cut(s, limits.maxStringLength), enclosing: new Set(), nodes: 0 }, 0) as T;
}

function walk(value: unknown, w: Walk, depth: number): unknown {
  if (typeof value === 'string') return w.text(value);
  if (!value || typeof value !== 'object' || value instanceof Date) return value;
  if (w.enclosing.has(value)) return CIRCULAR;
  if (depth >= w.limits.maxDepth) return TOO_DEEP;
  if (++w.nodes > (w.limits.maxNodes ?? Infinity)) return TOO_LARGE;
  w.enclosing.add(value);
  try {
    const max = w.limits.maxEntries ?? Infinity;
    if (Array.isArray(value)) {
      const items = value.slice(0, max).map((v) => walk(v, w, depth + 1));
      if (value.length > max) items.push(`[${value.length - max} more]`);
      return items;
    }
    const out: Record<string, unknown> = {};
    let entries = 0;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      if (entries++ >= max) {
        out['…'] = 'more keys left out';
        break;
      }
      const item = (value as Record<string, unknown>)[key];
      out[w.text(key)] = w.limits.secretKeys?.test(key) && item != null ? REDACTED : walk(item, w, depth + 1);
    }
    return out;
  } finally {
    w.enclosing.delete(value);
  }
}

function cut(text: string, max: number | undefined): string {
  return max !== undefined && text.length > max ? `${text.slice(0, max)}… [${text.length - max} more characters]` : text;
}
