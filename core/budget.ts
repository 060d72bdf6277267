import { FAILURE } from './failure-types.js';

/** The failure type of a model call refused for budget: workflows pause and ask the founder instead of failing. */
export const BUDGET_EXCEEDED = FAILURE.budgetExceeded;

/** What was spent against which limit when a request paused. */
export type BudgetPause = { scope: 'request' | 'project'; spentUsd: number; limitUsd: number };
