/**
 * The monitor's activities: what changed in the project's metrics, errors after a deploy, deploys that failed
 * (detectFindings, read-only), and raising what is new as Assist's messages in the monitoring conversation,
 * each with an offer to act (raiseFindings).
 */
import { detectChange, detectErrorSpike, type MetricChange } from '../core/anomaly.js';
import { addDays, dayInWords, localDay, type Day } from '../core/local-day.js';
import { appendMessage } from '../db/queries/conversations.js';
import { dailyEventCounts, deploysSince, errorCounts, ERROR_EVENT, firstEventDays, type DeployPoint } from '../db/queries/metric-series.js';
import { ensureMonitoringConversation, markFindingRaised, storeFindings, type FindingCandidate } from '../db/queries/monitoring.js';
import { getProjectOutreach } from '../db/queries/projects.js';
import { appendSessionEvent } from '../db/queries/session-events.js';
import type { ActivityDeps } from './deps.js';

const DAY_MS = 24 * 3600_000;
/** Complete days judged on each run: yesterday and the day before, so a day the monitor missed is still seen. */
const DAYS_CHECKED = 2;
const BASELINE_WEEKS = 4;
/** Deploys whose errors and failures are still news. */
const DEPLOY_LOOKBACK_MS = 7 * DAY_MS;
/** The error rate after a deploy is measured over at most this long, against the week before it. */
const AFTER_DEPLOY_MS = DAY_MS;

export type RaisedFinding = { findingId: string; kind: string; title: string; summary: string; conversationId: string };

const shortCommit = (commit: string | null) => (commit ? commit.slice(0, 7) : 'unknown');

/** "signup" -> "Signups", "page_view" -> "Page views". */
function metricLabel(name: string): string {
  const words = name.replace(/[_.-]+/g, ' ').trim();
  const plural = words.endsWith('s') ? words : `${words}s`;
  return plural.charAt(0).toUpperCase() + plural.slice(1);
}

const WEEKDAYS = ['Sundays', 'Mondays', 'Tuesdays', 'Wednesdays', 'Thursdays', 'Fridays', 'Saturdays'];

/** The last successful deploy on the changed day or the day before: the likeliest cause. */
function deployBefore(deploys: DeployPoint[], day: Day): DeployPoint | undefined {
  return deploys.find((d) => d.status === 'succeeded' && (d.day === day || d.day === addDays(day, -1)));
}

function metricFinding(name: string, platform: string | null, change: MetricChange, deploy: DeployPoint | undefined): FindingCandidate {
  const label = metricLabel(name) + (platform ? ` on ${platform}` : '');
  const pct = Math.round(Math.abs(change.relativeChange) * 100);
  const verb = change.direction === 'drop' ? 'dropped' : 'jumped';
  const weekday = WEEKDAYS[new Date(`${change.day}T00:00:00Z`).getUTCDay()]!;
  const cause = deploy ? ` It started right after the deploy of commit ${shortCommit(deploy.commit)}.` : '';
  return {
    kind: 'metric_change',
    fingerprint: `metric_change:${name}:${platform ?? 'all'}:${change.day}`,
    summary: `${label} ${verb} ${pct}% on ${dayInWords(change.day)}: ${change.value}, where ${weekday} usually bring about ${Math.round(change.median)}.${cause}`,
    details: {
      title: `${label} ${verb} ${pct}%`,
      metric: name,
      platform,
      direction: change.direction,
      day: change.day,
      value: change.value,
      usual: change.median,
      mad: change.mad,
      score: Math.round(change.score * 100) / 100,
      baseline: change.baseline,
    },
    deployId: deploy?.id ?? null,
    commit: deploy?.commit ?? null,
  };
}

/** What Assist offers for each kind of finding; the founder's yes starts a request. */
function offerFor(f: { kind: string; details: Record<string, unknown> }): string {
  if (f.kind === 'metric_change' && f.details.direction === 'jump') return 'Want me to find out what drove it?';
  return 'Want me to fix it?';
}

export function createMonitorActivities({ db }: Pick<ActivityDeps, 'db'>) {
  return {
    /** Everything worth raising now; the same finding always gets the same fingerprint, so raising dedupes. */
    async detectFindings({ projectId }: { projectId: string }): Promise<FindingCandidate[]> {
      const project = await getProjectOutreach(db, projectId);
      if (!project) return [];
      const now = new Date();
      const timeZone = project.timezone;
      const today = localDay(now, timeZone);
      const checked = Array.from({ length: DAYS_CHECKED }, (_, i) => addDays(today, -1 - i));
      const deploys = await deploysSince(db, { projectId, timeZone, since: new Date(now.getTime() - (7 * BASELINE_WEEKS + DAYS_CHECKED + 1) * DAY_MS) });
      const findings: FindingCandidate[] = [];

      // Metrics: each event name in total, and per platform where there are several and the total did not move.
      const counts = await dailyEventCounts(db, { projectId, timeZone, fromDay: addDays(today, -(7 * BASELINE_WEEKS + DAYS_CHECKED)), toDay: checked[0]! });
      const firstDays = await firstEventDays(db, { projectId, timeZone });
      const series = new Map<string, { name: string; platform: string | null; counts: Record<Day, number> }>();
      const add = (name: string, platform: string | null, day: Day, n: number) => {
        const k = `${name}\u0000${platform ?? ''}`;
        const s = series.get(k) ?? { name, platform, counts: {} };
        s.counts[day] = (s.counts[day] ?? 0) + n;
        series.set(k, s);
      };
      for (const c of counts) {
        if (c.name === ERROR_EVENT) continue;
        add(c.name, null, c.day, c.count);
        if (c.platform) add(c.name, c.platform, c.day, c.count);
      }
      const platformsOf = (name: string) => [...series.values()].filter((s) => s.name === name && s.platform !== null);
      for (const total of [...series.values()].filter((s) => s.platform === null)) {
        const firstDay = firstDays.get(total.name) ?? checked.at(-1)!;
        for (const day of checked) {
          const change = detectChange(total.counts, day, firstDay);
          if (change) {
            findings.push(metricFinding(total.name, null, change, deployBefore(deploys, day)));
            continue;
          }
          const platforms = platformsOf(total.name);
          if (platforms.length < 2) continue;
          for (const p of platforms) {
            const pc = detectChange(p.counts, day, firstDay);
            if (pc) findings.push(metricFinding(p.name, p.platform, pc, deployBefore(deploys, day)));
          }
        }
      }

      for (const d of deploys) {
        if (now.getTime() - d.startedAt.getTime() > DEPLOY_LOOKBACK_MS) continue;
        if (d.status === 'failed') {
          findings.push({
            kind: 'deploy_failed',
            fingerprint: `deploy_failed:${d.id}`,
            summary: `The deploy of commit ${shortCommit(d.commit)} failed on ${dayInWords(d.day)}, so that change is not live.`,
            details: { title: `A deploy failed (commit ${shortCommit(d.commit)})`, startedAt: d.startedAt.toISOString(), requestConversationId: d.conversationId },
            deployId: d.id,
            commit: d.commit,
          });
        } else if (d.status === 'succeeded' && d.finishedAt) {
          const afterEnd = new Date(Math.min(now.getTime(), d.finishedAt.getTime() + AFTER_DEPLOY_MS));
          const before = await errorCounts(db, { projectId, from: new Date(d.startedAt.getTime() - 7 * DAY_MS), to: d.startedAt });
          const after = await errorCounts(db, { projectId, from: d.finishedAt, to: afterEnd });
          const spike = detectErrorSpike(before, after);
          if (!spike) continue;
          const pct = (r: number) => `${(r * 100).toFixed(r < 0.01 ? 1 : 0)}%`;
          const hours = Math.max(1, Math.round((afterEnd.getTime() - d.finishedAt.getTime()) / 3600_000));
          findings.push({
            kind: 'error_spike',
            fingerprint: `error_spike:${d.id}`,
            summary:
              `Errors spiked after the deploy of commit ${shortCommit(d.commit)}: ${spike.errors} errors in the ${hours} hour${hours === 1 ? '' : 's'} since ` +
              `(${pct(spike.afterRate)} of events), against ${pct(spike.beforeRate)} the week before.`,
            details: { title: `Errors spiked after commit ${shortCommit(d.commit)}`, ...spike, before, after, hours },
            deployId: d.id,
            commit: d.commit,
          });
        }
      }
      return findings;
    },

    /**
     * Stores the findings not seen before and raises each in the monitoring conversation: Assist's message with an
     * offer to act, streamed as an `assistant.message`. A finding already raised is never raised again.
     */
    async raiseFindings({ projectId, findings }: { projectId: string; findings: FindingCandidate[] }): Promise<RaisedFinding[]> {
      const unraised = await storeFindings(db, projectId, findings);
      if (unraised.length === 0) return [];
      const conversationId = await ensureMonitoringConversation(db, projectId);
      const raised: RaisedFinding[] = [];
      for (const f of unraised) {
        const text = `${f.summary} ${offerFor(f)}`;
        const offer = { action: 'act', findingId: f.id, text: offerFor(f) };
        // Written from the data by a template, not by a model: labelled scripted so it is never taken for one.
        await appendMessage(db, conversationId, {
          id: f.id,
          role: 'assist',
          content: text,
          reply: { kind: 'finding', findingId: f.id, findingKind: f.kind, offer },
          scripted: true,
          timestamp: new Date().toISOString(),
        });
        await appendSessionEvent(db, {
          conversationId,
          kind: 'assistant.message',
          payload: { text, replyKind: 'finding', scripted: true, generatedBy: 'template', findingId: f.id, findingKind: f.kind, deployId: f.deployId, commit: f.commit, offer },
          idempotencyKey: `finding:${f.id}`,
        });
        await markFindingRaised(db, f.id, conversationId);
        raised.push({ findingId: f.id, kind: f.kind, title: String(f.details.title ?? f.summary), summary: f.summary, conversationId });
      }
      return raised;
    },
  };
}
