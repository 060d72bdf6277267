/**
 * The request workflow's contract with the outside: its input, the signals a founder (or the Temporal Web UI)
 * sends, and the state its query exposes. Shared by the workflow, the API and the tests.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
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

export const messageSignal = defineSignal<[{ text: string }]>('message');
export const confirmSignal = defineSignal<[{ planVersion: number }]>('confirm');
export const declineSignal = defineSignal<[]>('decline');
export const reviseSignal = defineSignal<[{ text: string }]>('revise');
export const stopSignal = defineSignal<[]>('stop');
/** The founder allows this request to spend more (answering a budget pause). */
export const raiseBudgetSignal = defineSignal<[{ amountUsd: number }]>('raiseBudget');
export const stateQuery = defineQuery<RequestState>('state');

export const requestWorkflowId = (projectId: string, conversationId: string) => `request-${projectId}-${conversationId}`;
/** A task attempt's workflow id; a run resumed after a budget pause gets a suffix. */
export const taskWorkflowId = (sessionId: string, attempt: number, resume = 0) =>
  `task-${sessionId}-${attempt}${resume ? `-r${resume}` : ''}`;
