/**
 * The founder's conversations as the API reads and starts them. Reads come from Postgres only, so a
 * conversation can be shown while no worker runs; the request workflow keeps these columns current.
 */
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { RequestOutcome, RequestPhase, RequestStatus, TaskStatus } from '../../workflows/request-contract.js';
import type { Db } from '../client.js';
import { advisorConversations, agentSessions } from '../schema.js';

/** One stored message of a conversation; roles are 'founder' and 'assist'. */
export type StoredMessage = { id: string; role: string; content: string; timestamp: string };

export type NewRequestConversation = {
  id: string;
  projectId: string;
  workflowId: string;
  requestText: string;
  idempotencyKey?: string;
  firstMessage: StoredMessage;
};

/** What the API needs to decide on a signal, or to answer a retried start. */
export type ConversationHead = {
  id: string;
  projectId: string;
  workflowId: string;
  status: RequestStatus;
  phase: RequestPhase;
  requestText: string;
};

export type PlanView = { version: number; summary: string; items: Array<{ module: string; text: string }>; estimatedMinutes: number };

export type TaskRowView = {
  id: string;
  title: string;
  module: string;
  status: TaskStatus;
  dependsOn: string[];
  sessionId: string;
  /** What this task's model calls (every attempt) have cost so far, in USD. */
  costUsd: number;
};

/** A line of a project's conversation list. */
export type ConversationSummary = {
  id: string;
  status: RequestStatus;
  phase: RequestPhase;
  requestText: string;
  outcome: RequestOutcome;
  createdAt: string;
  updatedAt: string;
};

export type ConversationView = {
  id: string;
  projectId: string;
  workflowId: string;
  status: RequestStatus;
  phase: RequestPhase;
  messages: Array<{ role: string; content: string; timestamp: string }>;
  plan: PlanView | null;
  tasks: TaskRowView[];
  outcome: RequestOutcome;
  error: string | null;
  /** What the request's model calls have cost so far, in USD. */
  costUsd: number;
  /** Non-null while the request is paused at its budget, waiting for the founder. */
  budgetPause: { scope: string; spentUsd: number; limitUsd: number } | null;
};

const founderConversation = (id: string) => and(eq(advisorConversations.id, id), eq(advisorConversations.module, 'assist'));

const headColumns = {
  id: advisorConversations.id,
  projectId: advisorConversations.projectId,
  workflowId: advisorConversations.workflowId,
  status: advisorConversations.status,
  phase: advisorConversations.phase,
  requestText: advisorConversations.requestText,
};

type HeadRow = {
  id: string;
  projectId: string;
  workflowId: string | null;
  status: string;
  phase: string;
  requestText: string | null;
};

const toHead = (row: HeadRow): ConversationHead => ({
  ...row,
  workflowId: row.workflowId ?? '',
  status: row.status as RequestStatus,
  phase: row.phase as RequestPhase,
  requestText: row.requestText ?? '',
});

/**
 * Inserts a founder's request conversation, running and assisting. Returns false when a conversation with the
 * same idempotency key already exists for the project (a concurrent retry won), in which case nothing is written.
 */
export async function insertRequestConversation(db: Db, c: NewRequestConversation): Promise<boolean> {
  const rows = await db
    .insert(advisorConversations)
    .values({
      id: c.id,
      projectId: c.projectId,
      module: 'assist',
      status: 'running',
      phase: 'assisting',
      requestText: c.requestText,
      workflowId: c.workflowId,
      messages: [c.firstMessage],
      idempotencyKey: c.idempotencyKey ?? null,
    })
    .onConflictDoNothing({ target: [advisorConversations.projectId, advisorConversations.idempotencyKey] })
    .returning({ id: advisorConversations.id });
  return rows.length > 0;
}

/**
 * Marks a conversation whose workflow could not be started as failed, so it does not read as running forever.
 * Only while it still reads as just started, so it never overwrites what a workflow already recorded.
 */
export async function markConversationNotStarted(db: Db, id: string, error: string): Promise<void> {
  await db
    .update(advisorConversations)
    .set({ status: 'failed', error, updatedAt: new Date() })
    .where(and(eq(advisorConversations.id, id), eq(advisorConversations.status, 'running'), eq(advisorConversations.phase, 'assisting')));
}

/** The project's conversation started with this idempotency key, if any. */
export async function findConversationByIdempotencyKey(db: Db, projectId: string, key: string): Promise<ConversationHead | undefined> {
  const [row] = await db
    .select(headColumns)
    .from(advisorConversations)
    .where(and(eq(advisorConversations.projectId, projectId), eq(advisorConversations.idempotencyKey, key)));
  return row ? toHead(row) : undefined;
}

/** A founder conversation's status, phase and plan version; advisors' internal conversations are not found. */
export async function getConversationHead(db: Db, id: string): Promise<ConversationHead | undefined> {
  const [row] = await db.select(headColumns).from(advisorConversations).where(founderConversation(id));
  return row ? toHead(row) : undefined;
}

function toMessages(stored: unknown): ConversationView['messages'] {
  if (!Array.isArray(stored)) return [];
  return stored
    .filter((m): m is StoredMessage => typeof m === 'object' && m !== null && typeof m.role === 'string' && typeof m.content === 'string')
    .map((m) => ({ role: m.role, content: m.content, timestamp: typeof m.timestamp === 'string' ? m.timestamp : '' }));
}

function toPlan(stored: { version: number; summary: string; items: unknown[]; estimatedMinutes: number } | null): PlanView | null {
  if (!stored) return null;
  const items = (Array.isArray(stored.items) ? stored.items : []).map((item) => {
    const i = (item ?? {}) as { module?: unknown; text?: unknown };
    return { module: String(i.module ?? ''), text: String(i.text ?? '') };
  });
  return { version: stored.version, summary: stored.summary, items, estimatedMinutes: stored.estimatedMinutes };
}

/** The founder's view of one conversation: messages, plan card, tasks and result; `undefined` if unknown. */
export async function getConversationView(db: Db, id: string): Promise<ConversationView | undefined> {
  const [row] = await db
    .select({
      id: advisorConversations.id,
      projectId: advisorConversations.projectId,
      workflowId: advisorConversations.workflowId,
      status: advisorConversations.status,
      phase: advisorConversations.phase,
      messages: advisorConversations.messages,
      plan: advisorConversations.plan,
      outcome: advisorConversations.outcome,
      error: advisorConversations.error,
      budgetPause: advisorConversations.budgetPause,
      // Spelled out: inside a sub-select drizzle would leave the outer column unqualified.
      costUsd: sql<string>`(select coalesce(sum(c.cost_usd), 0) from llm_calls c where c.conversation_id = "advisor_conversations"."id")`,
    })
    .from(advisorConversations)
    .where(founderConversation(id));
  if (!row) return undefined;
  const tasks = await db
    .select({
      id: agentSessions.taskKey,
      sessionId: agentSessions.id,
      title: sql<string | null>`${agentSessions.plan}->>'title'`,
      dependsOn: sql<unknown>`${agentSessions.plan}->'dependsOn'`,
      module: agentSessions.module,
      status: agentSessions.status,
      costUsd: sql<string>`(select coalesce(sum(c.cost_usd), 0) from llm_calls c where c.session_id = "agent_sessions"."id")`,
    })
    .from(agentSessions)
    .where(eq(agentSessions.conversationId, id))
    .orderBy(asc(agentSessions.createdAt), asc(agentSessions.taskKey));
  return {
    id: row.id,
    projectId: row.projectId,
    workflowId: row.workflowId ?? '',
    status: row.status as RequestStatus,
    phase: row.phase as RequestPhase,
    messages: toMessages(row.messages),
    plan: toPlan(row.plan ?? null),
    tasks: tasks.map((t) => ({
      id: t.id ?? t.sessionId,
      title: t.title ?? '',
      module: t.module,
      status: t.status as TaskStatus,
      dependsOn: Array.isArray(t.dependsOn) ? t.dependsOn.map(String) : [],
      sessionId: t.sessionId,
      costUsd: Number(t.costUsd),
    })),
    outcome: (row.outcome ?? null) as RequestOutcome,
    error: row.error ?? null,
    costUsd: Number(row.costUsd),
    budgetPause: row.budgetPause ?? null,
  };
}

/** A project's founder conversations, newest first. */
export async function listConversations(db: Db, projectId: string, limit: number): Promise<ConversationSummary[]> {
  const rows = await db
    .select({
      id: advisorConversations.id,
      status: advisorConversations.status,
      phase: advisorConversations.phase,
      requestText: advisorConversations.requestText,
      outcome: advisorConversations.outcome,
      createdAt: advisorConversations.createdAt,
      updatedAt: advisorConversations.updatedAt,
    })
    .from(advisorConversations)
    // The monitoring conversation (findings, briefings) is no request: the console reaches it from the feed.
    .where(and(eq(advisorConversations.projectId, projectId), eq(advisorConversations.module, 'assist'), sql`${advisorConversations.outcome} is distinct from 'monitoring'`))
    .orderBy(desc(advisorConversations.createdAt), desc(advisorConversations.id))
    .limit(limit);
  return rows.map((r) => ({
    id: r.id,
    status: r.status as RequestStatus,
    phase: r.phase as RequestPhase,
    requestText: r.requestText ?? '',
    outcome: (r.outcome ?? null) as RequestOutcome,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  }));
}
