import { describe, expect, it } from 'vitest';
import { addressKey, RecentTokens, WrongTokenLimit } from './wrong-token-limit.js';

describe('the wrong-token limit', () => {
  it('refuses from the attempt after the limit until the window ends, then counts afresh', () => {
    let now = 1_000_000;
    const limit = new WrongTokenLimit(3, () => now);
    for (let i = 0; i < 3; i++) {
      expect(limit.retryAfter('10.0.0.1')).toBe(0);
      limit.record('10.0.0.1');
    }
    expect(limit.retryAfter('10.0.0.1')).toBe(60);
    expect(limit.retryAfter('10.0.0.2')).toBe(0);
    now += 59_500;
    expect(limit.retryAfter('10.0.0.1')).toBe(1);
    now += 500;
    expect(limit.retryAfter('10.0.0.1')).toBe(0);
    limit.record('10.0.0.1');
    expect(limit.retryAfter('10.0.0.1')).toBe(0);
  });

  it('counts an IPv6 host by its /64 and an IPv4-mapped address as IPv4', () => {
    expect(addressKey('2001:db8:0:1::5')).toBe(addressKey('2001:0db8:0000:0001:ffff:1:2:3'));
    expect(addressKey('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:db8:0:2::5')).not.toBe(addressKey('2001:db8:0:1::5'));
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    const limit = new WrongTokenLimit(1);
    limit.record('2001:db8:0:1::a');
    expect(limit.retryAfter('2001:db8:0:1::b')).toBeGreaterThan(0);
  });

  it('keeps a bounded number of known tokens, forgetting the least recently used first', () => {
    const recent = new RecentTokens(2);
    recent.add('a');
    recent.add('b');
    recent.add('a');
    recent.add('c');
    expect([recent.has('a'), recent.has('b'), recent.has('c')]).toEqual([true, false, true]);
    recent.delete('a');
    expect(recent.has('a')).toBe(false);
  });
});
