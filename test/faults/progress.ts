/**
 * Where a request stands, read straight from Postgres (the source of truth, which outlives any worker or
 * API), and the points of a request at which the suite strikes.
 */
import type pg from 'pg';

export type StoredEvent = { seq: number; kind: string; sessionId: string | null; payload: Record<string, any>; idempotencyKey: string | null; createdAt: Date };
export type Snapshot = {
  status: string;
  phase: string;
  outcome: string | null;
  error: string | null;
  /** The request's deploys row: 'started' while a deploy runs. */
  deploy: string | null;
  events: StoredEvent[];
};

/** The conversation and its events; undefined while Postgres does not answer (it may be the fault). */
export async function snapshot(sql: pg.Pool, conversationId: string): Promise<Snapshot | undefined> {
  try {
    const conv = await sql.query(
      'select c.status, c.phase, c.outcome, c.error, d.status as deploy from advisor_conversations c left join deploys d on d.conversation_id = c.id where c.id = $1',
      [conversationId],
    );
    if (conv.rowCount === 0) return undefined;
    const rows = await sql.query(
      'select seq, kind, session_id as "sessionId", payload, idempotency_key as "idempotencyKey", created_at as "createdAt" from session_events where conversation_id = $1 order by seq',
      [conversationId],
    );
    return { ...conv.rows[0], events: rows.rows };
  } catch {
    return undefined;
  }
}

export const lastSeq = (s: Snapshot | undefined) => s?.events.at(-1)?.seq ?? 0;
const has = (s: Snapshot, kind: string) => s.events.some((e) => e.kind === kind);
const count = (s: Snapshot, kind: string) => s.events.filter((e) => e.kind === kind).length;
const followUps = (s: Snapshot) => s.events.filter((e) => e.kind === 'assistant.message' && e.payload.replyKind === 'follow_up').length;

/** The points of a request, in the order a request passes them, and how each is recognised. */
export const POINTS = {
  /** Assist is answering the founder's request (no plan card yet). */
  assist: (s: Snapshot) => s.phase === 'assisting' && !has(s, 'plan.card'),
  /** The plan card waits for the founder. */
  awaiting: (s: Snapshot) => s.phase === 'awaiting_confirmation',
  /** The advisors scope the confirmed plan. */
  advisors: (s: Snapshot) => s.phase === 'planning',
  /** Agents are at work: a turn happened and not every task is merged. */
  agent: (s: Snapshot, tasks: number) => has(s, 'agent.turn') && count(s, 'task.merged') < tasks,
  /** Some tasks are merged into the request's branch, not all. */
  merge: (s: Snapshot, tasks: number) => count(s, 'task.merged') > 0 && count(s, 'task.merged') < tasks,
  /** Committed, not pushed yet (the suite also waits for the push to reach the remote's hook). */
  push: (s: Snapshot) => has(s, 'commit') && !has(s, 'push'),
  /** The deploy runs: its row is claimed, no verdict yet. */
  deploy: (s: Snapshot) => s.deploy === 'started',
  /** Deployed; Assist's follow-up not written yet. */
  followup: (s: Snapshot) => has(s, 'deploy') && followUps(s) === 0,
} satisfies Record<string, (s: Snapshot, tasks: number) => boolean>;

export type Point = keyof typeof POINTS;
export const POINT_NAMES = Object.keys(POINTS) as Point[];

/**
 * Steps written twice under different keys: the same agent turn, tool result, merge, commit, push, deploy or
 * message more than once, or any two events with the same kind, session and payload. Check results are
 * exempt: an agent may legitimately run the same check again with the same output.
 */
export function repeatedSteps(events: StoredEvent[]): string[] {
  const identity = (e: StoredEvent): string | undefined => {
    const p = e.payload ?? {};
    switch (e.kind) {
      case 'agent.turn':
        return `agent.turn ${e.sessionId} attempt ${p.attempt} turn ${p.turn}`;
      case 'agent.tool_result':
        return `agent.tool_result ${e.sessionId} ${p.toolUseId}`;
      case 'task.merged':
        return `task.merged ${p.taskId}`;
      case 'commit':
      case 'push':
      case 'deploy':
      case 'memory.updated':
        return e.kind;
      case 'assistant.message':
        return `assistant.message ${p.replyKind} ${p.text}`;
      case 'plan.card':
        return `plan.card v${p.version}`;
      case 'check.result':
        return undefined;
      default:
        return `${e.kind} ${e.sessionId} ${JSON.stringify(p)}`;
    }
  };
  const seen = new Map<string, number>();
  const repeated: string[] = [];
  for (const e of events) {
    const id = identity(e);
    if (id === undefined) continue;
    if (seen.has(id)) repeated.push(`${id.slice(0, 160)} (seq ${seen.get(id)} and ${e.seq})`);
    else seen.set(id, e.seq);
  }
  return repeated;
}
