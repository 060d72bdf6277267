/**
 * Tells the founder: a notifications row once per key, the in-app feed (a `notification` event on the project's
 * monitoring conversation, which the console streams) and, where the founder's preferences say so, an email.
 */
import { ApplicationFailure } from '@temporalio/activity';
import nodemailer, { type Transporter } from 'nodemailer';
import { FAILURE } from '../core/failure-types.js';
import { channelsFor, type NotificationKind } from '../core/notifications.js';
import { ensureMonitoringConversation } from '../db/queries/monitoring.js';
import { insertNotification, setEmailStatus, type EmailStatus } from '../db/queries/notifications.js';
import { getProjectOutreach } from '../db/queries/projects.js';
import { appendSessionEvent } from '../db/queries/session-events.js';
import { redactText } from '../lib/redact.js';
import type { ActivityDeps } from './deps.js';

export type NotifyInput = {
  projectId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  /** The conversation the notification is about (the request that ended, the monitoring conversation). */
  conversationId?: string | null;
  /** Same key, one notification: a retried activity neither adds a row nor sends a second email. */
  key: string;
};

export type NotifyResult = { notificationId: string | null; inApp: boolean; email: EmailStatus | null };

export function createNotifyActivities({ db, log, mail }: Pick<ActivityDeps, 'db' | 'log' | 'mail'>) {
  let transport: Transporter | undefined;
  const mailer = (smtpUrl: string) =>
    (transport ??= nodemailer.createTransport({ url: smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }));

  return {
    async notify(input: NotifyInput): Promise<NotifyResult> {
      const project = await getProjectOutreach(db, input.projectId);
      // A project deleted since: nobody to tell.
      if (!project) return { notificationId: null, inApp: false, email: null };
      const channels = channelsFor(project.notificationPrefs, input.kind);
      const emailTo = channels.email && mail?.smtpUrl ? project.notifyEmail : null;
      if (!channels.inApp && !emailTo) return { notificationId: null, inApp: false, email: null };

      const { notification } = await insertNotification(db, {
        projectId: input.projectId,
        kind: input.kind,
        title: input.title,
        body: input.body,
        conversationId: input.conversationId ?? null,
        idempotencyKey: input.key,
        emailStatus: emailTo ? 'pending' : null,
        readAt: channels.inApp ? null : new Date(),
      });

      if (channels.inApp) {
        const monitoringId = await ensureMonitoringConversation(db, input.projectId);
        await appendSessionEvent(db, {
          conversationId: monitoringId,
          kind: 'notification',
          payload: { notificationId: notification.id, kind: input.kind, title: input.title, body: input.body, conversationId: input.conversationId ?? null },
          idempotencyKey: `notification:${input.key}`,
        });
      }

      let email = notification.emailStatus;
      // The row decides, not today's preferences: a retry finishes what the first attempt promised.
      if ((email === 'pending' || email === 'failed') && project.notifyEmail && mail?.smtpUrl) {
        try {
          await mailer(mail.smtpUrl).sendMail({
            from: mail.from,
            to: project.notifyEmail,
            // Whatever a title or body quotes (a failure's error, a log line), no secret leaves by email.
            subject: redactText(`${project.name}: ${input.title}`),
            text: redactText(`${input.body}\n\n— Assist, for ${project.name}`),
          });
        } catch (err) {
          await setEmailStatus(db, notification.id, 'failed');
          log.warn({ projectId: input.projectId, key: input.key, reason: (err as Error).message }, 'notification email not sent');
          throw ApplicationFailure.retryable(`The notification email could not be sent: ${(err as Error).message}`, FAILURE.emailNotSent);
        }
        await setEmailStatus(db, notification.id, 'sent');
        email = 'sent';
      }
      return { notificationId: notification.id, inApp: channels.inApp, email };
    },
  };
}
