import { describe, expect, it } from 'vitest';
import { addDays, dayInWords, localDay, weekday, zonedInstant } from './local-day.js';

describe('local days', () => {
  it('read the calendar day in the time zone', () => {
    const instant = new Date('2026-03-17T02:00:00Z');
    expect(localDay(instant, 'UTC')).toBe('2026-03-17');
    expect(localDay(instant, 'America/New_York')).toBe('2026-03-16');
    expect(localDay(instant, 'Asia/Kolkata')).toBe('2026-03-17');
  });
  it('add days across months and name weekdays', () => {
    expect(addDays('2026-02-27', 2)).toBe('2026-03-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(weekday('2026-03-17')).toBe(2);
    expect(dayInWords('2026-03-17')).toBe('Tuesday 17 March');
  });
  it('find the instant of a clock time, on either side of a DST change', () => {
    expect(zonedInstant('2026-03-07', '07:30', 'America/New_York')?.toISOString()).toBe('2026-03-07T12:30:00.000Z');
    expect(zonedInstant('2026-03-09', '07:30', 'America/New_York')?.toISOString()).toBe('2026-03-09T11:30:00.000Z');
    expect(zonedInstant('2026-11-02', '07:30', 'America/New_York')?.toISOString()).toBe('2026-11-02T12:30:00.000Z');
    expect(zonedInstant('2026-03-17', '07:30', 'Asia/Kolkata')?.toISOString()).toBe('2026-03-17T02:00:00.000Z');
    // 02:30 does not exist in New York on the spring-forward day.
    expect(zonedInstant('2026-03-08', '02:30', 'America/New_York')).toBeUndefined();
  });
});
