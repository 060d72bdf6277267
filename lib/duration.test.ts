import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads the units operators write', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration(' 1.5h ')).toBe(5_400_000);
    expect(parseDuration('0')).toBe(0);
  });

  it('refuses a number without its unit, and anything else', () => {
    for (const text of ['120', '2 minutes', '-5s', 's', '', '1d']) expect(parseDuration(text)).toBeUndefined();
  });
});
