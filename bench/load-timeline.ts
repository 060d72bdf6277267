/**
 * Where a request's time goes after the founder confirms, read from its session events: for each milestone
 * (a phase entered, a task status, the merge, commit, push, deploy), how long after the confirm it was committed.
 * The step whose gap grows most under load is the one the load queues on.
 */
import pg from 'pg';
import type { RequestTimes } from './load-clients.js';
import { pct, table } from './load-report-format.js';

export type Milestone = { label: string; p50: number; p95: number; n: number };

/** A readable name for an event: its kind, with the phase or task status it reports. */
function labelOf(kind: string, payload: { phase?: string; status?: string }): string {
  if (kind === 'phase') return `phase ${payload.phase}${payload.status && payload.status !== 'running' ? ` (${payload.status})` : ''}`;
  if (kind === 'task.status') return `task ${payload.status}`;
  return kind;
}

export async function readTimeline(databaseUrl: string, times: RequestTimes[]): Promise<Milestone[]> {
  const confirmed = new Map(times.filter((t) => t.conversationId && t.confirmedAt).map((t) => [t.conversationId!, t.confirmedAt!]));
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ conversation_id: string; kind: string; payload: { phase?: string; status?: string }; created_at: Date }>(
      'select conversation_id, kind, payload, created_at from session_events where conversation_id = any($1::uuid[]) order by conversation_id, seq',
      [[...confirmed.keys()]],
    );
    const gaps = new Map<string, number[]>();
    const seen = new Set<string>();
    for (const row of rows) {
      const since = row.created_at.getTime() - confirmed.get(row.conversation_id)!;
      const label = labelOf(row.kind, row.payload);
      // The first of each milestone per conversation; events from before the confirm are the plan's, not the work's.
      const key = `${row.conversation_id}:${label}`;
      if (since < 0 || seen.has(key)) continue;
      seen.add(key);
      gaps.set(label, [...(gaps.get(label) ?? []), since]);
    }
    return [...gaps.entries()].map(([label, values]) => ({ label, ...pct(values) })).sort((a, b) => a.p50 - b.p50);
  } finally {
    await db.end();
  }
}

export function timelineTable(milestones: Milestone[]): string {
  let previous = 0;
  const rows = milestones.map((m) => {
    const row = [m.label, String(m.n), (m.p50 / 1000).toFixed(2), ((m.p50 - previous) / 1000).toFixed(2), (m.p95 / 1000).toFixed(2)];
    previous = m.p50;
    return row;
  });
  return table(['milestone after confirm', 'requests', 'p50 s since confirm', 'p50 step s', 'p95 s since confirm'], rows);
}
