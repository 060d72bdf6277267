/**
 * Which faults strike at which points. The default matrix fits the CI budget (about 6 minutes on 2 cores):
 * every fault at least once, the worker kill at several points, the ten-task graph under a worker kill.
 * FAULTS=all runs the full matrix; FAULTS=worker-kill@agent,api-kill@awaiting picks cases by id.
 */
import { POINT_NAMES } from './progress.js';
import { caseId, type Case } from './run-case.js';

/**
 * A pre-receive hook that declines is taken as final (push-branch.ts 'remote-rejected' → non-retryable
 * PushRejected in activities/workspace.ts pushWork), so a remote that refuses only for a while fails the request.
 */
const DECLINED_IS_FINAL = 'a declined push is never retried: the request fails with nothing pushed';
/**
 * The command deployer runs its command in a process group of its own (runtime/deploy/command-deployer.ts), so
 * a worker SIGKILLed mid-deploy leaves it running; it finishes unsupervised, and the retried deployWork
 * (activities/deploy.ts: the row is still 'started') runs the deploy a second time.
 */
/**
 * activities/model-caller.ts toFailure sets nextRetryDelay from Retry-After, and the llm profile
 * (workflows/activity-profiles.ts) allows 8 attempts: a vendor overloaded with Retry-After: 1 for ~10 s fails
 * the request, where one without the header is outlasted for minutes by the exponential backoff.
 */
const RETRY_AFTER_SPENDS_ATTEMPTS = 'honouring Retry-After: 1 spends the 8 LLM attempts in ~8 s, so a 15 s overload fails the request';
const DEPLOY_RUNS_TWICE = 'a worker killed mid-deploy leaves the command running and the retry deploys again';

export const DEFAULT_MATRIX: Case[] = [
  { fault: 'none', point: 'agent' },
  { fault: 'worker-kill', point: 'assist' },
  { fault: 'worker-kill', point: 'awaiting' },
  { fault: 'worker-kill', point: 'agent' },
  { fault: 'worker-kill', point: 'deploy', knownBug: DEPLOY_RUNS_TWICE },
  { fault: 'worker-pair', point: 'agent' },
  { fault: 'api-kill', point: 'agent' },
  { fault: 'temporal-kill', point: 'agent' },
  { fault: 'postgres-kill', point: 'merge' },
  { fault: 'push-declined', point: 'push', knownBug: DECLINED_IS_FINAL },
  { fault: 'remote-unreachable', point: 'merge' },
  { fault: 'deploy-timeout', point: 'deploy' },
  { fault: 'llm-529', point: 'agent' },
  { fault: 'llm-529-retry-after', point: 'agent', knownBug: RETRY_AFTER_SPENDS_ATTEMPTS },
  { fault: 'worker-kill', point: 'agent', scenario: 'ten' },
];

export const FULL_MATRIX: Case[] = [
  { fault: 'none', point: 'agent' },
  { fault: 'none', point: 'agent', scenario: 'ten' },
  ...POINT_NAMES.map((point): Case => ({ fault: 'worker-kill', point, ...(point === 'deploy' ? { knownBug: DEPLOY_RUNS_TWICE } : {}) })),
  ...(['advisors', 'agent', 'push'] as const).map((point): Case => ({ fault: 'worker-pair', point })),
  { fault: 'worker-pair', point: 'deploy', knownBug: DEPLOY_RUNS_TWICE },
  ...(['awaiting', 'agent', 'deploy'] as const).map((point): Case => ({ fault: 'api-kill', point })),
  ...(['awaiting', 'advisors', 'agent', 'push', 'deploy'] as const).map((point): Case => ({ fault: 'temporal-kill', point })),
  ...(['advisors', 'agent', 'merge', 'deploy', 'followup'] as const).map((point): Case => ({ fault: 'postgres-kill', point })),
  { fault: 'push-declined', point: 'push', knownBug: DECLINED_IS_FINAL },
  { fault: 'remote-unreachable', point: 'merge' },
  { fault: 'deploy-timeout', point: 'deploy' },
  ...(['assist', 'advisors', 'agent', 'followup'] as const).map((point): Case => ({ fault: 'llm-529', point })),
  { fault: 'llm-529-retry-after', point: 'agent', knownBug: RETRY_AFTER_SPENDS_ATTEMPTS },
  ...(['worker-kill', 'worker-pair', 'temporal-kill', 'postgres-kill'] as const).map((fault): Case => ({ fault, point: 'agent', scenario: 'ten' })),
];

/** Cases that run at once (each on its own API and workers); FAULTS_LANES=1 runs them one by one. */
export const LANES = Number(process.env.FAULTS_LANES ?? 2);

/** The matrix FAULTS asks for: unset, `all`, or a comma-separated list of case ids. */
export function selectMatrix(selection = process.env.FAULTS): { name: string; cases: Case[] } {
  if (!selection) return { name: 'default', cases: DEFAULT_MATRIX };
  if (selection === 'all') return { name: 'full', cases: FULL_MATRIX };
  const wanted = selection.split(',').map((s) => s.trim()).filter(Boolean);
  const known = new Map(FULL_MATRIX.map((c) => [caseId(c), c]));
  const unknown = wanted.filter((w) => !known.has(w));
  if (unknown.length) throw new Error(`FAULTS names unknown cases: ${unknown.join(', ')}; known: ${[...known.keys()].join(', ')}`);
  return { name: 'selected', cases: wanted.map((w) => known.get(w)!) };
}
