/**
 * The Postgres schema, source of truth for every conversation, task, step and model call.
 * The seed's three tables keep its exact column names, types and defaults; the rest is what the product needs.
 * Migrations in db/migrations are generated from this file by `npm run db:generate`.
 */
import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

/** A founder's product: its repository, how it deploys, when its founder's morning is. */
export const projects = pgTable(
  'projects',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    repoUrl: text('repo_url').notNull(),
    /**
     * Whether the admin token set `repoUrl` (creating the project, or changing it). Only then may git
     * credentials go to a host on a loopback, private or link-local address; false for a URL a project token
     * set, and for projects from before this was recorded, until the admin sets their URL again.
     */
    repoUrlByAdmin: boolean('repo_url_by_admin').notNull().default(false),
    defaultBranch: text('default_branch').notNull().default('main'),
    /** Deployer settings, e.g. {kind: 'command', command: '...'} or {kind: 'coolify', ...}; never secrets in clear. */
    deploy: jsonb('deploy').$type<Record<string, unknown>>(),
    timezone: text('timezone').notNull().default('UTC'),
    /** The founder's local time (HH:MM, in `timezone`) for the morning briefing. */
    briefingTime: text('briefing_time').notNull().default('08:00'),
    /** Hash of the project's API token; the token itself is shown once and never stored. */
    tokenHash: text('token_hash'),
    /**
     * Whether agent commands may use the network (package installs). Off by default: with it on, a command
     * shares the host's network, loopback services included.
     */
    allowNetwork: boolean('allow_network').notNull().default(false),
    /** Model spending allowed per calendar month; null means the configured default. */
    monthlyBudgetUsd: numeric('monthly_budget_usd', { precision: 12, scale: 4 }),
    /** Where email notifications go; null: in-app only. */
    notifyEmail: text('notify_email'),
    /**
     * Which notifications the founder wants, per kind and channel, e.g. {anomaly: {email: true, inApp: true}};
     * a kind left out gets the defaults (notifications.ts).
     */
    notificationPrefs: jsonb('notification_prefs').$type<Record<string, { email?: boolean; inApp?: boolean }>>().notNull().default(sql`'{}'::jsonb`),
    /** When the founder last opened the console: the morning briefing covers what happened since. */
    lastVisitAt: timestamp('last_visit_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('projects_name_key').on(t.name)],
);

/** One row per task attempt chain run by an agent (the seed's table). */
export const agentSessions = pgTable(
  'agent_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: text('project_id').notNull(),
    /** code | growth | analytics */
    module: text('module').notNull().default('code'),
    appName: text('app_name').notNull(),
    appPath: text('app_path').notNull(),
    task: text('task').notNull(),
    plan: jsonb('plan'),
    /** pending | running | done | approved | failed | stopped */
    status: text('status').notNull().default('pending'),
    output: jsonb('output').notNull().default(sql`'[]'::jsonb`),
    changedFiles: jsonb('changed_files').notNull().default(sql`'[]'::jsonb`),
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    // What the product adds: the request this task belongs to and its id and tier in the task graph.
    conversationId: uuid('conversation_id'),
    taskKey: text('task_key'),
    tier: text('tier'),
  },
  (t) => [
    index('agent_sessions_project_created_idx').on(t.projectId, t.createdAt),
    uniqueIndex('agent_sessions_conversation_task_key').on(t.conversationId, t.taskKey),
  ],
);

/** Every conversation Assist (or, internally, an advisor) has had (the seed's table). */
export const advisorConversations = pgTable(
  'advisor_conversations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: text('project_id').notNull(),
    /** 'assist' for the founder's conversations; 'code' | 'growth' | 'analytics' for specialist invocations. */
    module: text('module').notNull().default('assist'),
    messages: jsonb('messages').notNull().default(sql`'[]'::jsonb`),
    contextSnapshot: jsonb('context_snapshot'),
    /** null | tasked | declined | deferred | monitoring */
    outcome: text('outcome'),
    sessionIds: uuid('session_ids')
      .array()
      .default(sql`'{}'::uuid[]`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    // What the product adds to the seed's columns: where the request's workflow stands, for readers that
    // must not depend on a worker being up (the API, the console).
    /** For an advisor's conversation: the founder's conversation that delegated to it. */
    parentId: uuid('parent_id'),
    workflowId: text('workflow_id'),
    /** running | completed | failed | stopped */
    status: text('status').notNull().default('running'),
    /** assisting | awaiting_confirmation | planning | executing | integrating | done */
    phase: text('phase').notNull().default('assisting'),
    requestText: text('request_text'),
    /** The plan card awaiting or given confirmation, with its version. */
    plan: jsonb('plan').$type<{ version: number; summary: string; items: unknown[]; estimatedMinutes: number }>(),
    /** An advisor's scoped plan (advisor conversations) or the orchestrator's full task graph (request conversations). */
    result: jsonb('result'),
    error: text('error'),
    idempotencyKey: text('idempotency_key'),
    /** Money the founder allowed beyond the budgets for this request, by raising it when asked. */
    budgetExtraUsd: numeric('budget_extra_usd', { precision: 12, scale: 4 }).notNull().default('0'),
    /** Set while the request waits for the founder to allow more spending: {scope, spentUsd, limitUsd}. */
    budgetPause: jsonb('budget_pause').$type<{ scope: string; spentUsd: number; limitUsd: number }>(),
  },
  (t) => [
    index('advisor_conversations_project_created_idx').on(t.projectId, t.createdAt),
    uniqueIndex('advisor_conversations_idempotency_key').on(t.projectId, t.idempotencyKey),
    uniqueIndex('advisor_conversations_advisor_key').on(t.parentId, t.module),
  ],
);

/**
 * An advisor's reading, one row per round (activities/advisors.ts advisorRound): the model's reply, kept as soon
 * as it is paid for, then the results of the tools it asked for. A retried round finds its row and does not
 * call the model again; each round rebuilds the transcript from the rows before it.
 */
export const advisorRounds = pgTable(
  'advisor_rounds',
  {
    /** The founder's conversation the advisor scopes for. */
    conversationId: uuid('conversation_id').notNull(),
    /** code | growth | analytics */
    module: text('module').notNull(),
    /** 0, 1, 2, …: the workflow's count of this advisor's model calls. */
    round: integer('round').notNull(),
    /** The model's reply, as content blocks (text, tool calls). */
    reply: jsonb('reply').notNull(),
    model: text('model').notNull(),
    scripted: boolean('scripted').notNull().default(false),
    /** The results answering the reply's tool calls; null while they run, and for the round that answered. */
    toolResults: jsonb('tool_results'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('advisor_rounds_key').on(t.conversationId, t.module, t.round)],
);

/** Postgres full-text search vector; drizzle has no built-in column type for it. */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** Assist's long-term memory of the product (the seed's table). */
export const advisorMemory = pgTable(
  'advisor_memory',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: text('project_id').notNull(),
    /** decision | preference | open | context | experiment */
    category: text('category').notNull(),
    key: text('key').notNull(),
    value: text('value').notNull(),
    confidence: real('confidence').default(1.0),
    sourceConversationId: uuid('source_conversation_id').references(() => advisorConversations.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    // What the product adds: the founder can pin what must always be in mind; an open item that got resolved
    // is closed (kept for the record, never retrieved); and a search vector for retrieval by relevance.
    pinned: boolean('pinned').notNull().default(false),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    search: tsvector('search').generatedAlwaysAs(sql`to_tsvector('english', replace(key, '_', ' ') || ' ' || value)`),
  },
  (t) => [
    index('advisor_memory_project_category_idx').on(t.projectId, t.category),
    // One item per key: a new statement about the same thing updates it instead of piling up.
    uniqueIndex('advisor_memory_project_key').on(t.projectId, t.key),
    index('advisor_memory_search_idx').using('gin', t.search),
  ],
);

/**
 * Append-only step output. One stream per conversation with a contiguous `seq` from 1; a task's steps carry
 * its session id. `idempotency_key` makes a retried activity's insert a no-op.
 */
export const sessionEvents = pgTable(
  'session_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    conversationId: uuid('conversation_id').notNull(),
    sessionId: uuid('session_id'),
    seq: integer('seq').notNull(),
    kind: text('kind').notNull(),
    payload: jsonb('payload').notNull().default(sql`'{}'::jsonb`),
    idempotencyKey: text('idempotency_key'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('session_events_stream_seq_key').on(t.conversationId, t.seq),
    uniqueIndex('session_events_idempotency_key').on(t.idempotencyKey),
    index('session_events_session_idx').on(t.sessionId),
  ],
);

/** One row per model call: who asked, which tier and model, what it cost. */
export const llmCalls = pgTable(
  'llm_calls',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: text('project_id'),
    workflowId: text('workflow_id'),
    conversationId: uuid('conversation_id'),
    sessionId: uuid('session_id'),
    /** assist | advisor | orchestrator | agent | memory */
    role: text('role').notNull(),
    /** A | B | C */
    tier: text('tier').notNull(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    cachedTokens: integer('cached_tokens').notNull().default(0),
    costUsd: numeric('cost_usd', { precision: 14, scale: 6 }).notNull().default('0'),
    latencyMs: integer('latency_ms').notNull().default(0),
    /** ok | error | cancelled */
    outcome: text('outcome').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('llm_calls_project_created_idx').on(t.projectId, t.createdAt),
    index('llm_calls_conversation_idx').on(t.conversationId),
    index('llm_calls_session_idx').on(t.sessionId),
  ],
);

/** One deploy per request: the row makes a retried deploy activity find the first attempt instead of deploying again. */
export const deploys = pgTable(
  'deploys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: text('project_id').notNull(),
    conversationId: uuid('conversation_id'),
    /** command | coolify | webhook */
    kind: text('kind').notNull(),
    commit: text('commit').notNull(),
    /** started | succeeded | failed */
    status: text('status').notNull().default('started'),
    logTail: text('log_tail'),
    url: text('url'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('deploys_conversation_key').on(t.conversationId), index('deploys_project_started_idx').on(t.projectId, t.startedAt)],
);

/** Pushes made to a project's repository outside VIBN (Gitea webhook), so Assist knows the code changed. */
export const repoEvents = pgTable(
  'repo_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id').notNull(),
    /** The git server's delivery id: a redelivered webhook is recorded once. */
    deliveryId: text('delivery_id').notNull(),
    /** push (others may follow) */
    kind: text('kind').notNull(),
    ref: text('ref'),
    before: text('before'),
    after: text('after'),
    pusher: text('pusher'),
    /** The pushed commits, trimmed: id, message, author, timestamp. */
    commits: jsonb('commits').notNull().default(sql`'[]'::jsonb`),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('repo_events_delivery_key').on(t.projectId, t.deliveryId), index('repo_events_project_received_idx').on(t.projectId, t.receivedAt)],
);

/**
 * Per-project secrets (git token or deploy key, deployer token, webhook secrets), kept apart from `projects` so no
 * project read ever carries them. Never sent to the sandbox, prompts, events or logs.
 */
export const projectSecrets = pgTable(
  'project_secrets',
  {
    projectId: uuid('project_id').notNull(),
    /** git_token | git_ssh_key | coolify_token | deploy_webhook_secret | gitea_webhook_secret */
    name: text('name').notNull(),
    value: text('value').notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('project_secrets_key').on(t.projectId, t.name)],
);

/**
 * What the founder's product reports about its users (the Analytics advisor and the monitor read it): one row
 * per event, idempotent by the sender's event id, indexed for time ranges by name.
 */
export const productEvents = pgTable(
  'product_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    projectId: uuid('project_id').notNull(),
    /** The sender's id for the event: a resent batch is stored once. */
    eventId: text('event_id').notNull(),
    /** e.g. signup, page_view, checkout, error */
    name: text('name').notNull(),
    userId: text('user_id'),
    anonymousId: text('anonymous_id'),
    /** web | ios | android | ... as the sender says; what error rates and drops are split by. */
    platform: text('platform'),
    properties: jsonb('properties').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('product_events_event_key').on(t.projectId, t.eventId),
    index('product_events_project_name_time_idx').on(t.projectId, t.name, t.occurredAt),
    index('product_events_project_time_idx').on(t.projectId, t.occurredAt),
  ],
);

/**
 * What the monitor found (a metric that moved, errors after a deploy, a failed deploy), once per fingerprint so
 * the same finding is not raised on every run; and what the founder did about it.
 */
export const monitorFindings = pgTable(
  'monitor_findings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id').notNull(),
    /** metric_change | error_spike | deploy_failed */
    kind: text('kind').notNull(),
    /** What makes two findings the same one, e.g. "metric_change:signup:ios:2026-11-20". */
    fingerprint: text('fingerprint').notNull(),
    summary: text('summary').notNull(),
    details: jsonb('details').notNull().default(sql`'{}'::jsonb`),
    deployId: uuid('deploy_id'),
    commit: text('commit'),
    /** The monitoring conversation Assist raised it in. */
    conversationId: uuid('conversation_id'),
    /** open | acted | dismissed */
    status: text('status').notNull().default('open'),
    /** The request started when the founder said yes to "Want me to fix it?". */
    actedConversationId: uuid('acted_conversation_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('monitor_findings_fingerprint_key').on(t.projectId, t.fingerprint), index('monitor_findings_project_created_idx').on(t.projectId, t.createdAt)],
);

/** The founder's notifications: the in-app feed (read or not) and whether the email went out. */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id').notNull(),
    /** completion | failure | anomaly | briefing */
    kind: text('kind').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    conversationId: uuid('conversation_id'),
    readAt: timestamp('read_at', { withTimezone: true }),
    /** null (no email wanted) | pending | sent | failed */
    emailStatus: text('email_status'),
    /** A retried activity notifies once. */
    idempotencyKey: text('idempotency_key').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('notifications_idempotency_key').on(t.idempotencyKey), index('notifications_project_created_idx').on(t.projectId, t.createdAt)],
);

/**
 * Stream tickets already used (api/tickets.ts): a ticket opens one socket, whichever API process it reaches,
 * because its first use inserts its nonce here and a second insert finds it. Rows outlive the ticket only
 * by a margin for clock skew between processes, then are swept.
 */
export const usedStreamTickets = pgTable(
  'used_stream_tickets',
  {
    /** The ticket's random nonce (not the ticket: without its signature the nonce opens nothing). */
    nonce: text('nonce').primaryKey(),
    /** When the ticket expires; the row may go some time after. */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('used_stream_tickets_expires_idx').on(t.expiresAt)],
);
