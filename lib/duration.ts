/**
 * Durations in settings, written the way operators write them (`90s`, `2m`, `1h`, `500ms`), parsed to
 * milliseconds once at start. A bare number is refused rather than guessed at: is `120` seconds or
 * milliseconds? The unit is part of the value.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;

/** Milliseconds for `text`, or undefined when it is not a duration (the caller names the setting). */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return text.trim() === '0' ? 0 : undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

