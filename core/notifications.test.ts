import { describe, expect, it } from 'vitest';
import { channelsFor, notificationPrefsSchema } from './notifications.js';

describe('notification channels', () => {
  it('default to the app for everything and email for failures, anomalies and briefings', () => {
    expect(channelsFor({}, 'completion')).toEqual({ inApp: true, email: false });
    expect(channelsFor(null, 'failure')).toEqual({ inApp: true, email: true });
    expect(channelsFor(undefined, 'briefing')).toEqual({ inApp: true, email: true });
  });
  it("follow the founder's choice per kind and channel, defaults for the rest", () => {
    const prefs = notificationPrefsSchema.parse({ completion: { email: true }, anomaly: { inApp: false } });
    expect(channelsFor(prefs, 'completion')).toEqual({ inApp: true, email: true });
    expect(channelsFor(prefs, 'anomaly')).toEqual({ inApp: false, email: true });
    expect(notificationPrefsSchema.safeParse({ digest: { email: true } }).success).toBe(false);
    expect(notificationPrefsSchema.safeParse({ failure: { sms: true } }).success).toBe(false);
  });
});
