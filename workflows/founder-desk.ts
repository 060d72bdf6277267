/**
 * Where a request takes the founder's actions, by signal or by Update, and judges them: one rule for what the
 * workflow will act on, used both when an action is taken from the queue and by the Updates' validators. So an
 * Update accepted (the API's 202) is an action the workflow takes, and one refused (409) is one it would not
 * have: a confirm racing a revise, a second raise, a message after the work began, a stop once the work is
 * going live. Workflow code: deterministic, no I/O.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import {
  confirmUpdate,
  declineUpdate,
  messageUpdate,
  raiseBudgetUpdate,
  REFUSED,
  reviseUpdate,
  stopUpdate,
  type ActionAccepted,
  type FounderAction,
  type RefusedType,
  type RequestState,
} from './request-contract.js';

type DeskDeps = {
  state: RequestState;
  /** True once the commit has started: from then on the request finishes whatever the founder says. */
  goingLive: () => boolean;
  /** Cancels the request's work. */
  stop: () => void;
};

const refuse = (type: RefusedType, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });
const ACCEPTED: ActionAccepted = { accepted: true };

export function createFounderDesk({ state, goingLive, stop }: DeskDeps) {
  /** Actions in the order they came, taken one by one while the workflow waits for the founder. */
  const actions: FounderAction[] = [];
  /** While the workflow waits for the founder: whether a plan card (true) or a question (false) is on the table. */
  let waiting: { plan: boolean } | null = null;
  /** The founder's allowance for a budget pause, until the budget gate takes it. */
  let raisedUsd: number | undefined;
  /** Adds to the allowance (the signal may come more than once; the Update is let through once a pause). */
  const raise = (amountUsd: number) => {
    if (amountUsd > 0) raisedUsd = (raisedUsd ?? 0) + amountUsd;
  };
  /** Whether the open budget pause has had its answer (a raise or a decline). */
  let pauseAnswered = false;
  /** Until the founder's confirm is taken: what they say may still change the plan. */
  let conversing = true;

  /**
   * Why the workflow would not act on `action` now, or undefined when it would. The reasons are the ones the
   * request has always recorded for refused signals.
   */
  const refusal = (action: FounderAction): string | undefined => {
    const planShown = waiting?.plan === true;
    if (action.kind === 'confirm' && (!planShown || action.planVersion !== state.plan?.version)) {
      return `plan version ${action.planVersion} is not the plan on the table (${planShown ? state.plan?.version : 'none'})`;
    }
    if (action.kind !== 'message' && !planShown) return 'no plan is awaiting confirmation';
    return undefined;
  };
  /** An action already queued that the workflow will take: the founder's answer is in, later ones are late. */
  const answered = () => waiting !== null && actions.some((a) => refusal(a) === undefined);

  const mustBeRunning = () => {
    if (state.status !== 'running') throw refuse(REFUSED.finished, `The conversation has finished (${state.status}); start a new request`);
  };
  /** Nothing more can change the work once it is past the conversation with Assist. */
  const mustBeConversing = () => {
    mustBeRunning();
    if (goingLive() || !conversing) {
      throw refuse(REFUSED.workUnderWay, "The work is already under way, so this can't change it now. Stop it, or ask for the change once it is done");
    }
  };
  /** A message: taken up at Assist's next wait, or right after its reply when it is still thinking. */
  const mustTakeMessage = () => {
    mustBeConversing();
    if (waiting && answered()) throw refuse(REFUSED.alreadyAnswered, 'Your answer to this is already in; the request is moving on');
  };
  /** Confirm, decline or revise: only with a plan card on the table, and only the first answer to it. */
  const mustAwaitPlan = () => {
    mustBeConversing();
    if (!waiting) throw refuse(REFUSED.stillThinking, 'Assist is still working on its reply; send this once it has answered');
    if (answered()) throw refuse(REFUSED.alreadyAnswered, 'Your answer to this is already in; the request is moving on');
    if (!waiting.plan) throw refuse(REFUSED.notAwaitingConfirmation, `The conversation is ${state.phase}, not awaiting confirmation of a plan`);
  };
  const mustAwaitBudget = () => {
    mustBeRunning();
    if (!state.budgetPause) throw refuse(REFUSED.notPausedForBudget, 'The conversation is not waiting for a budget decision');
    if (pauseAnswered) throw refuse(REFUSED.alreadyAnswered, 'Your answer to this budget question is already in');
  };

  return {
    actions,
    refusal,

    /** The workflow starts (a plan card or a question) or stops (null) waiting for the founder. */
    awaitFounder(on: { plan: boolean } | null) {
      waiting = on;
    },

    /** The founder's confirm was taken: from now on the work is under way. */
    conversationOver() {
      conversing = false;
    },

    /** A budget pause opens: the founder's next raise or decline answers it. */
    pauseOpened() {
      pauseAnswered = false;
    },
    raise,
    /** The pending allowance, taken (and cleared) by the budget gate. */
    takeRaise() {
      const amount = raisedUsd;
      raisedUsd = undefined;
      return amount;
    },
    declined: () => actions.some((a) => a.kind === 'decline'),

    /** The Updates beside the signals; their validators judge by the same rules the workflow acts on. */
    installUpdates() {
      setHandler(confirmUpdate, ({ planVersion }) => (actions.push({ kind: 'confirm', planVersion }), ACCEPTED), {
        validator: ({ planVersion }) => {
          mustAwaitPlan();
          if (planVersion !== state.plan?.version) {
            throw refuse(REFUSED.stalePlan, `Plan version ${planVersion} is not the plan awaiting confirmation`);
          }
        },
      });
      setHandler(reviseUpdate, ({ text }) => (actions.push({ kind: 'revise', text }), ACCEPTED), { validator: (_: { text: string }) => mustAwaitPlan() });
      setHandler(messageUpdate, ({ text }) => (actions.push({ kind: 'message', text }), ACCEPTED), { validator: (_: { text: string }) => mustTakeMessage() });
      // Decline answers a plan card, or a budget pause ("no, don't spend more").
      setHandler(
        declineUpdate,
        () => {
          if (state.budgetPause) pauseAnswered = true;
          actions.push({ kind: 'decline' });
          return ACCEPTED;
        },
        { validator: () => (state.budgetPause ? mustAwaitBudget() : mustAwaitPlan()) },
      );
      setHandler(
        raiseBudgetUpdate,
        ({ amountUsd }) => {
          pauseAnswered = true;
          raise(amountUsd);
          return ACCEPTED;
        },
        {
          validator: ({ amountUsd }) => {
            if (!(amountUsd > 0)) throw refuse(REFUSED.notPausedForBudget, 'A budget raise must be more than zero');
            mustAwaitBudget();
          },
        },
      );
      setHandler(stopUpdate, () => (stop(), ACCEPTED), {
        validator: () => {
          mustBeRunning();
          if (goingLive()) throw refuse(REFUSED.alreadyGoingLive, 'It is already going live, so it will finish; it will be done in a moment');
        },
      });
    },
  };
}
