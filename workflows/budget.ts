/**
 * Budget pauses, workflow side. A model call over budget fails with type BudgetExceeded before any money is
 * spent; the request then pauses (it is not killed), Assist asks the founder, and a `raiseBudget` signal
 * lets the same step run again. No answer, or a decline, stops the request cleanly.
 */
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, condition } from '@temporalio/workflow';
import { BUDGET_EXCEEDED, type BudgetPause } from '../core/budget.js';

/** The budget details of a failure, when it is a budget stop. */
export function budgetPauseOf(err: unknown): BudgetPause | undefined {
  let cause = err;
  while (cause instanceof ActivityFailure || cause instanceof ChildWorkflowFailure) cause = cause.cause;
  if (cause instanceof ApplicationFailure && cause.type === BUDGET_EXCEEDED) return cause.details?.[0] as BudgetPause;
  return undefined;
}

export type BudgetGateDeps = {
  /** Shows the question to the founder (an Assist message) and records the pause. */
  ask: (pause: BudgetPause) => Promise<unknown>;
  /** Records the founder's raise where the budget check reads it. */
  raise: (amountUsd: number) => Promise<unknown>;
  /** Called with the pause while waiting, and with null once the founder answered. */
  onPause: (pause: BudgetPause | null) => void;
  /** The founder's pending raise, taken (and cleared) by the gate. */
  takeRaise: () => number | undefined;
  /** True when the founder declined to spend more. */
  declined: () => boolean;
  timeoutMs: number;
};

/**
 * One negotiation at a time: every step that hits the budget while a question is open waits for the same
 * answer. Resolves true when the founder raised the budget.
 */
export function createBudgetGate(deps: BudgetGateDeps) {
  let open: Promise<boolean> | undefined;
  return (pause: BudgetPause): Promise<boolean> => {
    open ??= (async () => {
      deps.onPause(pause);
      await deps.ask(pause);
      let amount: number | undefined;
      await condition(() => (amount ??= deps.takeRaise()) !== undefined || deps.declined(), deps.timeoutMs);
      if (amount !== undefined) await deps.raise(amount);
      deps.onPause(null);
      open = undefined;
      return amount !== undefined;
    })();
    return open;
  };
}
