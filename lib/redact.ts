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
  /(\/\/[^/\s:@]+:)[^@\s/]+(@)/g, // credentials inside URLs
  /\bvibn_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}/g, // our project tokens
  /([?&](?:ticket|token)=)[^&\s"#]+/gi, // stream tickets and tokens in query strings (browsers' WebSockets)
];

export const REDACTED = '[redacted]';

/** Tells the redactor about secret values (model keys, project tokens); empty and short values are ignored. */
export function registerSecrets(values: Iterable<string | undefined | null>): void {
  for (const v of values) if (v && v.length >= MIN_SECRET_LENGTH) known.add(v);
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

/** A copy of any JSON-like value with every string redacted (keys included). */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactText(k), redactDeep(v)])) as T;
  }
  return value;
}
