/**
 * The request workflow's contract with the outside: its input, the signals a founder (or the Temporal Web UI)
 * sends, and the state its query exposes. Shared by the workflow, the API and the tests.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Module, PlanCard, Tier } from '../core/plan.js';

export const PHASES = ['assisting', 'awaiting_confirmation', 'planning', 'executing', 'integrating', 'done'] as const;
export type RequestPhase = (typeof PHASES)[number];
export type RequestStatus = 'running' | 'completed' | 'failed' | 'stopped';
/** The seed's outcomes of a conversation. */
export type RequestOutcome = null | 'tasked' | 'declined' | 'deferred' | 'monitoring';
export type TaskStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'stopped';

export type RequestSettings = {
  /** How long a plan card (or a clarifying question) waits for the founder before the request is deferred. */
  confirmTimeoutMs: number;
  /** Tasks of one request that run at once. */
  maxParallelTasks: number;
  agentMaxSteps: number;
  agentMaxWallMs: number;
};

export type RequestInput = {
  projectId: string;
  conversationId: string;
  requestText: string;
  settings: RequestSettings;
};

export type TaskView = {
  id: string;
  title: string;
  module: Module;
  tier: Tier;
  status: TaskStatus;
  dependsOn: string[];
  sessionId?: string;
};

import type { BudgetPause } from '../core/budget.js';

export type { BudgetPause };

export type RequestState = {
  phase: RequestPhase;
  status: RequestStatus;
  plan: (PlanCard & { version: number }) | null;
  tasks: TaskView[];
  outcome: RequestOutcome;
  error: string | null;
  budgetPause: BudgetPause | null;
};

/** A founder's answer to Assist, queued for the workflow to take up when it waits for one. */
export type FounderAction =
  | { kind: 'message'; text: string }
  | { kind: 'revise'; text: string }
  | { kind: 'confirm'; planVersion: number }
  | { kind: 'decline' };

export const messageSignal = defineSignal<[{ text: string }]>('message');
export const confirmSignal = defineSignal<[{ planVersion: number }]>('confirm');
export const declineSignal = defineSignal<[]>('decline');
export const reviseSignal = defineSignal<[{ text: string }]>('revise');
export const stopSignal = defineSignal<[]>('stop');
/** The founder allows this request to spend more (answering a budget pause). */
export const raiseBudgetSignal = defineSignal<[{ amountUsd: number }]>('raiseBudget');
export const stateQuery = defineQuery<RequestState>('state');

/**
 * The founder's actions as Workflow Updates, beside the signals above (which stay the workflow's contract for the
 * Temporal Web UI and any client). An Update answers with the workflow's own verdict: its validator refuses,
 * with one of the REFUSED types and a plain reason, what the workflow would not act on, so the API's 202 means
 * the action was taken and its 409 means it was not. Update names differ from the signals' so a reader of a
 * history can tell which way an action came in.
 */
export type ActionAccepted = { accepted: true };
export const confirmUpdate = defineUpdate<ActionAccepted, [{ planVersion: number }]>('confirmPlan');
export const declineUpdate = defineUpdate<ActionAccepted, []>('declinePlan');
export const reviseUpdate = defineUpdate<ActionAccepted, [{ text: string }]>('revisePlan');
export const messageUpdate = defineUpdate<ActionAccepted, [{ text: string }]>('sendMessage');
export const raiseBudgetUpdate = defineUpdate<ActionAccepted, [{ amountUsd: number }]>('allowMoreBudget');
export const stopUpdate = defineUpdate<ActionAccepted, []>('stopRequest');

/** Why an Update was refused: the failure type of the validator's refusal, and the API's error code. */
export const REFUSED = {
  stalePlan: 'stale_plan',
  notAwaitingConfirmation: 'not_awaiting_confirmation',
  alreadyAnswered: 'already_answered',
  stillThinking: 'still_thinking',
  workUnderWay: 'work_under_way',
  notPausedForBudget: 'not_paused_for_budget',
  alreadyGoingLive: 'already_going_live',
  finished: 'conversation_finished',
} as const;
export type RefusedType = (typeof REFUSED)[keyof typeof REFUSED];

export const requestWorkflowId = (projectId: string, conversationId: string) => `request-${projectId}-${conversationId}`;
/**
 * A task attempt's workflow id: its request's id, the task's id from the graph and the attempt, so the Web UI's
 * list reads "which request, which task, which try"; a run resumed after a budget pause gets a suffix.
 */
export const taskWorkflowId = (requestId: string, taskId: string, attempt: number, resume = 0) =>
  `${requestId}-task-${taskId}-${attempt}${resume ? `-r${resume}` : ''}`;
/** The id task workflows had before they named their request (runs started then replay with it). */
export const sessionTaskWorkflowId = (sessionId: string, attempt: number, resume = 0) =>
  `task-${sessionId}-${attempt}${resume ? `-r${resume}` : ''}`;
