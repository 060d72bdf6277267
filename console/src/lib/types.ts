/**
 * The API's shapes as the console reads them (see api/routes/*.ts and core/events.ts). Only the fields the
 * console uses; the server may send more.
 */

export type DeploySettings =
  | { kind: 'none' }
  | { kind: 'command'; command: string; url?: string; timeoutSeconds?: number }
  | { kind: 'coolify'; baseUrl: string; applicationUuid: string; url?: string; timeoutSeconds?: number; pollSeconds?: number }
  | { kind: 'webhook'; webhookUrl: string; url?: string; timeoutSeconds?: number };

export type Project = {
  id: string;
  name: string;
  repoUrl: string;
  defaultBranch: string;
  deploy: DeploySettings | null;
  timezone: string;
  briefingTime?: string | null;
  allowNetwork: boolean;
  monthlyBudgetUsd?: number | null;
};

export type ProjectPatch = Partial<{
  name: string;
  repoUrl: string;
  defaultBranch: string;
  deploy: DeploySettings;
  timezone: string;
  briefingTime: string;
  monthlyBudgetUsd: number | null;
  allowNetwork: boolean;
}>;

export type RequestStatus = 'running' | 'completed' | 'failed' | 'stopped';
export type RequestPhase = 'assisting' | 'awaiting_confirmation' | 'planning' | 'executing' | 'integrating' | 'done';
export type TaskStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'stopped';

export type PlanCard = { version: number; summary: string; items: Array<{ module: string; text: string }>; estimatedMinutes: number };

export type TaskView = { id: string; title: string; module: string; status: TaskStatus; dependsOn: string[]; sessionId: string; costUsd?: number };

export type ConversationView = {
  id: string;
  projectId: string;
  workflowId: string;
  status: RequestStatus;
  phase: RequestPhase;
  messages: Array<{ role: 'founder' | 'assist' | string; content: string; timestamp: string }>;
  plan: PlanCard | null;
  tasks: TaskView[];
  outcome: 'tasked' | 'declined' | 'deferred' | 'monitoring' | null;
  error: string | null;
  costUsd: number;
  budgetPause: { scope: string; spentUsd: number; limitUsd: number } | null;
  temporalUrl: string | null;
};

export type ConversationSummary = {
  id: string;
  status: RequestStatus;
  phase: RequestPhase;
  requestText: string;
  outcome: ConversationView['outcome'];
  createdAt: string;
  updatedAt: string;
};

/** One step of a conversation's log, as the stream (or GET /events) gives it. */
export type StreamEvent = {
  seq: number;
  kind: string;
  sessionId: string | null;
  payload: Record<string, unknown>;
  at: string;
  /** Set on kinds a model wrote: true when a scripted scenario stood in for the model. */
  scripted?: boolean;
};

export const MEMORY_CATEGORIES = ['decision', 'preference', 'open', 'context', 'experiment'] as const;
export type MemoryCategory = (typeof MEMORY_CATEGORIES)[number];

export type Memory = {
  id: string;
  category: MemoryCategory;
  key: string;
  value: string;
  confidence: number;
  sourceConversationId: string | null;
  createdAt: string;
  updatedAt: string;
};

export type TreeFile = { path: string; size: number };
export type FileContent = { path: string; size: number; truncated: boolean; content: string };

export type UsageRow = { day: string; calls: number; costUsd: number };

/** Names in db/queries/project-secrets.ts PROJECT_SECRET_NAMES. */
export const PROJECT_SECRET_NAMES = ['git_token', 'git_ssh_key', 'git_known_hosts', 'coolify_token', 'deploy_webhook_secret', 'gitea_webhook_secret'] as const;
export type ProjectSecretName = (typeof PROJECT_SECRET_NAMES)[number];

export type FindingStatus = 'open' | 'acted' | 'dismissed';

/** Something the monitor noticed (api/routes/findings.ts), raised as Assist's message in the monitoring conversation. */
export type Finding = {
  id: string;
  kind: 'metric_change' | 'error_spike' | 'deploy_failed' | string;
  summary: string;
  deployId: string | null;
  commit: string | null;
  status: FindingStatus;
  conversationId: string | null;
  /** The request the founder's "Fix it" started. */
  actedConversationId: string | null;
  createdAt: string;
};

/** One entry of the founder's feed (api/routes/notifications.ts). */
export type Notification = {
  id: string;
  kind: 'completed' | 'failed' | 'anomaly' | 'briefing' | string;
  title: string;
  body: string;
  conversationId: string | null;
  readAt: string | null;
  createdAt: string;
};
