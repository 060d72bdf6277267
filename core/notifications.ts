/**
 * What the founder is told about, and where: the in-app feed and email. A pure module, shared by the API (which
 * validates the preferences) and the notify activity (which applies them).
 */
import { z } from 'zod';

export const NOTIFICATION_KINDS = ['completion', 'failure', 'anomaly', 'briefing'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export type Channels = { inApp: boolean; email: boolean };

/** Everything shows in the app; email only for what the founder should not miss while away. */
export const DEFAULT_CHANNELS: Record<NotificationKind, Channels> = {
  completion: { inApp: true, email: false },
  failure: { inApp: true, email: true },
  anomaly: { inApp: true, email: true },
  briefing: { inApp: true, email: true },
};

const channelsSchema = z
  .object({
    inApp: z.boolean().optional().describe('Show it in the console’s feed'),
    email: z.boolean().optional().describe('Send it to the project’s notifyEmail'),
  })
  .strict();

/** Per kind and channel; a kind or channel left out keeps its default. */
export const notificationPrefsSchema = z.partialRecord(z.enum(NOTIFICATION_KINDS), channelsSchema);
export type NotificationPrefs = z.infer<typeof notificationPrefsSchema>;

/** The channels a kind goes to under the founder's preferences. */
export function channelsFor(prefs: Record<string, { email?: boolean; inApp?: boolean } | undefined> | null | undefined, kind: NotificationKind): Channels {
  const chosen = prefs?.[kind] ?? {};
  return { inApp: chosen.inApp ?? DEFAULT_CHANNELS[kind].inApp, email: chosen.email ?? DEFAULT_CHANNELS[kind].email };
}
