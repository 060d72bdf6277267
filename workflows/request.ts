/**
 * One founder request, from the first word to the follow-up: Assist reasons and proposes a plan card, the
 * founder confirms by signal, advisors scope, the orchestrator builds a task graph, agents run its tasks as
 * child workflows, the work is committed, pushed and deployed, and Assist reports back. Deterministic only:
 * every side effect is an activity.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  isCancellation,
  log,
  patched,
  setHandler,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import { FOUNDER_WORDS_FAILURES } from '../core/failure-types.js';
import type { Module } from '../core/plan.js';
import { SANDBOX_MISSING_FOR_FOUNDER } from '../core/sandbox-missing.js';
import { SESSION_STATUS } from '../core/search-attributes.js';
import { ADVISOR_ROUND_LIMIT } from '../core/advisor-rounds.js';
import { validateTaskGraph, type TaskNode } from '../core/task-graph.js';
import { db, deploy, git, llm, notify, tool } from './activity-profiles.js';
import {
  confirmSignal,
  declineSignal,
  messageSignal,
  reviseSignal,
  stateQuery,
  stopSignal,
  raiseBudgetSignal,
  type BudgetPause,
  type FounderAction,
  type RequestInput,
  type RequestPhase,
  type RequestState,
  type RequestStatus,
} from './request-contract.js';
import { budgetPauseOf, createBudgetGate } from './budget.js';
import { createFounderDesk } from './founder-desk.js';
import { runTaskGraph } from './task-graph-runner.js';

/** The innermost failure: an activity's own error rather than "Activity task failed". */
function rootFailure(err: unknown): Error {
  let e = err as Error & { cause?: unknown };
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause instanceof Error) e = e.cause;
  return e;
}
const rootMessage = (err: unknown) => rootFailure(err).message;

/** What the founder reads when an activity failed for good: its own words when they were written for them. */
function failedForFounder(err: unknown): string {
  const root = rootFailure(err);
  if (root instanceof ApplicationFailure && root.type && FOUNDER_WORDS_FAILURES.includes(root.type)) return root.message;
  return `Something went wrong and the work could not be finished: ${root.message}`;
}

/** Thrown inside the workflow to end a request as failed with a plain-language reason. */
class RequestFailed extends Error {}
/** The founder allowed no more budget for the follow-up of work already live. */
class FollowUpDeclined extends Error {}
const followUpDeclined = (): never => {
  throw new FollowUpDeclined();
};

export async function requestWorkflow(input: RequestInput): Promise<RequestState> {
  const { projectId, conversationId, requestText, settings } = input;
  const state: RequestState = { phase: 'assisting', status: 'running', plan: null, tasks: [], outcome: null, error: null, budgetPause: null };
  const work = new CancellationScope();
  /** Set once the commit starts: from then on commit, push, deploy and record run to the end, whatever comes. */
  let goingLive = false;
  /** Whether this run's integration is all or nothing; runs that reached it before the change keep their history. */
  let atomicIntegration = false;
  // The founder's actions, by signal or by Update, judged in one place.
  const desk = createFounderDesk({ state, goingLive: () => goingLive, stop: () => work.cancel() });
  const { actions } = desk;

  setHandler(stateQuery, () => state);
  setHandler(messageSignal, ({ text }) => void actions.push({ kind: 'message', text }));
  setHandler(reviseSignal, ({ text }) => void actions.push({ kind: 'revise', text }));
  setHandler(confirmSignal, ({ planVersion }) => void actions.push({ kind: 'confirm', planVersion }));
  setHandler(declineSignal, () => void actions.push({ kind: 'decline' }));
  setHandler(stopSignal, () => {
    if (state.status === 'running' && !atomicIntegration) work.cancel();
  });
  setHandler(raiseBudgetSignal, ({ amountUsd }) => desk.raise(amountUsd));
  desk.installUpdates();

  let step = 0;
  const key = (what: string) => `${conversationId}:${what}:${++step}`;
  const enter = async (phase: RequestPhase, status: RequestStatus = 'running') => {
    state.phase = phase;
    state.status = status;
    upsertSearchAttributes({ [SESSION_STATUS.name]: [status === 'running' ? phase : status] });
    await db.recordRequestState({
      conversationId,
      key: key('state'),
      phase,
      status,
      plan: state.plan,
      outcome: state.outcome,
      error: state.error,
    });
  };

  const budgetGate = createBudgetGate({
    ask: (pause) => db.askForBudget({ projectId, conversationId, key: key('budget'), ...pause }),
    raise: (amountUsd) => db.raiseBudget({ conversationId, key: key('budget-raised'), amountUsd }),
    onPause: (pause) => {
      if (pause) desk.pauseOpened();
      state.budgetPause = pause;
      upsertSearchAttributes({ [SESSION_STATUS.name]: [pause ? 'budget_paused' : state.phase] });
    },
    takeRaise: () => desk.takeRaise(),
    declined: desk.declined,
    timeoutMs: settings.confirmTimeoutMs,
  });
  /**
   * Runs a model step; over budget, pauses for the founder and runs it again once they allow more. When they
   * do not, `refused` ends it: by default the request stops.
   */
  const withBudget = async <T>(step: () => Promise<T>, refused: (pause: BudgetPause) => void = stopForBudget): Promise<T> => {
    for (;;) {
      try {
        return await step();
      } catch (err) {
        const pause = budgetPauseOf(err);
        if (!pause) throw err;
        if (!(await budgetGate(pause))) refused(pause);
      }
    }
  };
  /** The founder said no (or nothing): the request stops like a `stop`, with the reason kept. */
  const stopForBudget = (pause: BudgetPause) => {
    state.error = `Stopped at the ${pause.scope} budget: $${pause.spentUsd.toFixed(2)} of $${pause.limitUsd.toFixed(2)} spent, and no more was allowed.`;
    work.cancel();
  };

  try {
    await work.run(async () => {
      // A normal, heartbeating activity on the git profile: it may clone. Runs started before keep the local one.
      if (patched('context-activity')) await git.loadContext({ projectId, conversationId });
      else await db.loadContext({ projectId, conversationId });
      const confirmed = await converse();
      if (!confirmed) return;

      await enter('planning');
      const modules = [...new Set(state.plan!.items.map((i) => i.module))] as Module[];
      // Work that runs commands needs the sandbox: without it, say so before anything is planned or paid for.
      // Runs started before this check keep their history as it was.
      if (modules.some((m) => m !== 'analytics') && patched('sandbox-check') && !(await tool.sandboxReady()).ok) {
        throw new RequestFailed(SANDBOX_MISSING_FOR_FOUNDER);
      }
      await Promise.all(modules.map((module) => scope(module)));
      // A pure data question changes no code: the advisors' findings are the answer, and nothing is built,
      // committed, pushed or deployed. Runs started before this path keep their history as it was.
      if (modules.every((m) => m === 'analytics') && patched('analytics-only')) {
        const findingsKey = key('followup');
        await withBudget(() => llm.followUpTurn({ projectId, conversationId, requestText, key: findingsKey, deploy: null }));
        state.outcome = 'tasked';
        await enter('done', 'completed');
        return;
      }
      const graph = await orchestrate(modules);

      await enter('executing');
      const sessions = await db.createTaskSessions({ projectId, conversationId });
      state.tasks = graph.map((t) => ({ ...t, status: 'pending', sessionId: sessions[t.id] }));
      const { workdir } = await git.prepareWorkspace({ projectId, conversationId });
      const failure = await runTaskGraph({
        input,
        state,
        integrate: (task, attempt) =>
          git.integrateTask({ projectId, conversationId, sessionId: task.sessionId!, taskId: task.id, title: task.title, attempt }),
        reportSkipped: (taskId) => db.recordTaskStatus({ conversationId, key: key('task'), taskId, status: 'skipped' }),
        budgetGate: async (pause) => {
          if (!(await budgetGate(pause))) stopForBudget(pause);
        },
      });
      if (failure) throw new RequestFailed(failure);

      goingLive = true;
      await enter('integrating');
      atomicIntegration = patched('atomic-integration');
      const integrate = async () => {
        await git.commitWork({ projectId, conversationId, workdir });
        // The push may have rebased the commit onto work pushed meanwhile: deploy what really landed.
        const { commit } = await git.pushWork({ projectId, conversationId, workdir });
        const deployed = await deploy.deployWork({ projectId, conversationId, workdir, commit });
        // The work is on the remote now: the request's worktrees and branches have served their purpose.
        await git.cleanWorkspace({ projectId, conversationId });
        return deployed;
      };
      // All or nothing: a commit on the default branch with its deploy killed would be half-shipped work.
      const deployed = atomicIntegration ? await CancellationScope.nonCancellable(integrate) : await integrate();
      const followUpKey = key('followup');
      // The work is live: a founder who will not pay for the report still gets a completed request (runs from
      // before all-or-nothing integration stop, as they did).
      const declined = atomicIntegration ? followUpDeclined : stopForBudget;
      try {
        await withBudget(() => llm.followUpTurn({ projectId, conversationId, requestText, key: followUpKey, deploy: deployed }), declined);
      } catch (err) {
        if (!(err instanceof FollowUpDeclined)) throw err;
        log.info('the founder allowed no more budget; the work went live without a follow-up');
      }
      state.outcome = 'tasked';
      await enter('done', 'completed');
    });
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        for (const t of state.tasks) if (t.status === 'pending' || t.status === 'running') t.status = 'stopped';
        await db.stopRequest({ conversationId, key: key('stop') });
        await git.cleanWorkspace({ projectId, conversationId });
        await enter('done', 'stopped');
      });
    } else if (err instanceof RequestFailed) {
      state.error = err.message;
      await git.cleanWorkspace({ projectId, conversationId });
      await enter('done', 'failed');
    } else {
      // An activity that failed for good: say so in plain words rather than leave the conversation running.
      state.error = failedForFounder(err);
      await CancellationScope.nonCancellable(async () => {
        await git.cleanWorkspace({ projectId, conversationId });
        await enter('done', 'failed');
        await notifyEnd();
      });
      throw err;
    }
  }
  await notifyEnd();
  // Runs registered before the memory step keep their history as it was.
  if (state.status !== 'stopped' && patched('memory-step')) await remember();
  return state;

  /**
   * Tells the founder, who may have closed the browser, that work they confirmed is done or could not be finished
   * (answers, declines and stops they saw happen need no notification). Never fails the request.
   */
  async function notifyEnd() {
    const done = state.status === 'completed' && state.outcome === 'tasked';
    if (!(done || state.status === 'failed') || !patched('notify-on-end')) return;
    const what = requestText.length > 60 ? `${requestText.slice(0, 59)}…` : requestText;
    try {
      await notify.notify({
        projectId,
        conversationId,
        key: `${conversationId}:notify-end`,
        ...(done
          ? { kind: 'completion', title: `Done: ${what}`, body: `"${requestText}" is done. Open the conversation to see what changed.` }
          : { kind: 'failure', title: `Could not finish: ${what}`, body: `"${requestText}" could not be finished. ${state.error ?? ''}`.trim() }),
      });
    } catch (err) {
      log.warn('the end-of-request notification failed', { error: rootMessage(err) });
    }
  }

  /** Once the founder has their answer: what the conversation taught is kept for the next. Never fails the request. */
  async function remember() {
    try {
      await llm.rememberConversation({ projectId, conversationId, requestText, key: `${conversationId}:memory` });
    } catch (err) {
      log.warn('the memory step failed; the conversation is not remembered', { error: rootMessage(err) });
    }
  }

  /** Assist turns until the founder confirms a plan (true), or the request ends another way (false). */
  async function converse(): Promise<boolean> {
    for (;;) {
      await enter('assisting');
      const assistKey = key('assist');
      const reply = await withBudget(() => llm.assistTurn({ projectId, conversationId, requestText, key: assistKey }));
      // A message the founder sent while Assist was thinking is taken up, not dropped with the answer. Runs
      // started before keep their history.
      const messageWaiting = desk.actions.some((a) => a.kind === 'message');
      if (reply.kind === 'answer' && !(messageWaiting && patched('message-after-answer'))) {
        await enter('done', 'completed');
        return false;
      }
      // The founder may answer from the moment the reply is in the workflow's state, before the row says so.
      desk.awaitFounder({ plan: reply.kind === 'plan' });
      if (reply.kind === 'plan') {
        state.plan = { ...reply.plan, version: (state.plan?.version ?? 0) + 1 };
        await enter('awaiting_confirmation');
      } else {
        await enter('assisting');
      }
      const action = await nextAction();
      desk.awaitFounder(null);
      if (!action) {
        state.outcome = 'deferred';
        await enter('done', 'completed');
        return false;
      }
      if (action.kind === 'confirm') {
        desk.conversationOver();
        return true;
      }
      if (action.kind === 'decline') {
        state.outcome = 'declined';
        await enter('done', 'completed');
        return false;
      }
      await db.recordFounderMessage({ conversationId, messageId: uuid4(), text: action.kind === 'revise' ? `Please revise the plan: ${action.text}` : action.text });
    }
  }

  /**
   * The founder's next action, or undefined when none comes in time. Stale confirms (for another plan
   * version, or when no plan is on the table) are refused and recorded, and the wait goes on.
   */
  async function nextAction(): Promise<FounderAction | undefined> {
    for (;;) {
      if (!(await condition(() => actions.length > 0, settings.confirmTimeoutMs))) return undefined;
      const action = actions.shift()!;
      const refused = desk.refusal(action);
      if (refused) {
        await db.recordRefusedSignal({ conversationId, key: key('refused'), signal: action.kind, reason: refused });
        continue;
      }
      return action;
    }
  }

  /**
   * An advisor scopes its part of the plan, one activity per reading round, so a retry resumes at its round
   * rather than paying for the reading again. Runs started before the change scope in one activity.
   */
  async function scope(module: Module): Promise<void> {
    if (!patched('advisor-rounds')) {
      await withBudget(() => llm.advisorPlan({ projectId, conversationId, module, requestText }));
      return;
    }
    for (let round = 0; round <= ADVISOR_ROUND_LIMIT; round++) {
      const outcome = await withBudget(() => llm.advisorRound({ projectId, conversationId, module, requestText, round }));
      if (outcome.done) return;
    }
    throw new RequestFailed(`The ${module} advisor kept reading and never gave its plan. Nothing was changed.`);
  }

  /** The orchestrator's graph, validated; asked once more with the error if the first one is bad. */
  async function orchestrate(modules: Module[]): Promise<TaskNode[]> {
    let previousError: string | undefined;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const reply = await withBudget(() => llm.orchestrate({ projectId, conversationId, requestText, modules, attempt, previousError }));
      const check = reply.ok ? validateTaskGraph(reply.tasks) : reply;
      if (check.ok && reply.ok) return reply.tasks;
      previousError = check.ok ? 'invalid graph' : check.error;
    }
    throw new RequestFailed(`I couldn't turn the plan into a workable set of tasks (${previousError}). Nothing was changed.`);
  }
}
