/**
 * The morning briefing: what happened since the founder last looked (their last visit or the last briefing,
 * whichever is later), written as Assist's message in the monitoring conversation. Built from the data by a
 * template, not by a model, and labelled so; nothing happened, nothing is written.
 */
import { BRIEFING_REPLY_KIND, findMessage, lastBriefingAt, openQuestions, requestsEndedSince } from '../db/queries/briefing.js';
import { appendMessage } from '../db/queries/conversations.js';
import { deploysSince } from '../db/queries/metric-series.js';
import { ensureMonitoringConversation, findingsSince } from '../db/queries/monitoring.js';
import { getProjectOutreach } from '../db/queries/projects.js';
import { appendSessionEvent } from '../db/queries/session-events.js';
import type { ActivityDeps } from './deps.js';

/** With neither a visit nor an earlier briefing on record, a briefing covers the last day. */
const DEFAULT_SPAN_MS = 24 * 3600_000;

export type BriefingResult =
  | { written: false; reason: string }
  | { written: true; conversationId: string; title: string; text: string; since: string };

const BRIEFING_TITLE = 'Your morning briefing';
const bullet = (line: string) => `• ${line}`;
const clip = (text: string, max = 160) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function sinceInWords(since: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(since);
}

export function createBriefingActivities({ db }: Pick<ActivityDeps, 'db'>) {
  return {
    /** Writes the briefing once per `key` (a retried activity finds its message) or says why there is none. */
    async composeBriefing({ projectId, key }: { projectId: string; key: string }): Promise<BriefingResult> {
      const project = await getProjectOutreach(db, projectId);
      if (!project) return { written: false, reason: 'the project no longer exists' };
      const conversationId = await ensureMonitoringConversation(db, projectId);
      const messageId = `briefing:${key}`;
      const written = await findMessage(db, conversationId, messageId);
      if (written) return { written: true, conversationId, title: BRIEFING_TITLE, text: written.content, since: written.reply?.since ?? '' };
      const now = new Date();
      const previous = await lastBriefingAt(db, conversationId);
      const candidates = [project.lastVisitAt, previous].filter((d): d is Date => d instanceof Date);
      const since = candidates.length ? new Date(Math.max(...candidates.map((d) => d.getTime()))) : new Date(now.getTime() - DEFAULT_SPAN_MS);

      const ended = await requestsEndedSince(db, projectId, since, conversationId);
      const deploys = (await deploysSince(db, { projectId, timeZone: project.timezone, since })).reverse();
      const findings = await findingsSince(db, projectId, since);
      if (ended.length === 0 && deploys.length === 0 && findings.length === 0) return { written: false, reason: 'nothing happened since the last look' };
      const open = await openQuestions(db, projectId);

      const shipped = ended.filter((r) => r.status === 'completed');
      const failed = ended.filter((r) => r.status === 'failed');
      const live = deploys.filter((d) => d.status === 'succeeded');
      const broken = deploys.filter((d) => d.status === 'failed');
      const sections: string[] = [`Good morning. Here is what happened since ${sinceInWords(since, project.timezone)}.`];
      if (shipped.length) sections.push(['Work shipped:', ...shipped.map((r) => bullet(clip(r.requestText)))].join('\n'));
      if (failed.length) sections.push(['Work that did not finish:', ...failed.map((r) => bullet(clip(`${r.requestText}${r.error ? ` (${r.error})` : ''}`, 240)))].join('\n'));
      if (deploys.length) {
        const parts = [];
        if (live.length) parts.push(`${plural(live.length, 'deploy')} went live (${live.map((d) => d.commit.slice(0, 7)).join(', ')})`);
        if (broken.length) parts.push(`${plural(broken.length, 'deploy')} failed (${broken.map((d) => d.commit.slice(0, 7)).join(', ')})`);
        const running = deploys.length - live.length - broken.length;
        if (running) parts.push(`${plural(running, 'deploy')} still running`);
        sections.push(`Deploys: ${parts.join('; ')}.`);
      }
      if (findings.length) sections.push(['What I noticed:', ...findings.map((f) => bullet(`${f.summary}${f.status === 'acted' ? ' (I am on it.)' : ''}`))].join('\n'));
      if (open.length) sections.push(['Still open from our conversations:', ...open.map((q) => bullet(clip(q.value)))].join('\n'));
      const text = sections.join('\n\n');

      await appendMessage(db, conversationId, {
        id: messageId,
        role: 'assist',
        content: text,
        reply: { kind: BRIEFING_REPLY_KIND, since: since.toISOString() },
        scripted: true,
        timestamp: now.toISOString(),
      });
      await appendSessionEvent(db, {
        conversationId,
        kind: 'assistant.message',
        payload: { text, replyKind: BRIEFING_REPLY_KIND, scripted: true, generatedBy: 'template', since: since.toISOString() },
        idempotencyKey: messageId,
      });
      return { written: true, conversationId, title: BRIEFING_TITLE, text, since: since.toISOString() };
    },
  };
}
