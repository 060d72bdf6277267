/** The failure type of a model call refused for budget: workflows pause and ask the founder instead of failing. */
export const BUDGET_EXCEEDED = 'BudgetExceeded';

/** What was spent against which limit when a request paused. */
export type BudgetPause = { scope: 'request' | 'project'; spentUsd: number; limitUsd: number };
