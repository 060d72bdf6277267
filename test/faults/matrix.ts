/**
 * Which faults strike at which points. The default matrix fits the CI budget (about 6 minutes on 2 cores):
 * every fault at least once, the worker kill at several points, the ten-task graph under a worker kill.
 * FAULTS=all runs the full matrix; FAULTS=worker-kill@agent,api-kill@awaiting picks cases by id.
 */
import { POINT_NAMES } from './progress.js';
import { caseId, type Case } from './run-case.js';

/*
 * Four cases of this matrix found bugs, since fixed: a pre-receive hook declining for a while failed the
 * request for good (now retried within the push's attempts); a worker killed mid-deploy left the command running
 * and the retry deployed again (a retry now adopts the running command); Retry-After: 1 spent the 8 model-call
 * attempts in seconds (Retry-After is now a floor under the normal backoff); a Postgres kill while the
 * workspace lock held a connection crashed the worker with an unhandled 'error' (every pooled connection now
 * has a listener). A case can carry `knownBug` to stay green while a bug it found is open.
 */

export const DEFAULT_MATRIX: Case[] = [
  { fault: 'none', point: 'agent' },
  { fault: 'worker-kill', point: 'assist' },
  { fault: 'worker-kill', point: 'awaiting' },
  { fault: 'worker-kill', point: 'agent' },
  { fault: 'worker-kill', point: 'deploy' },
  { fault: 'worker-pair', point: 'agent' },
  { fault: 'api-kill', point: 'agent' },
  { fault: 'temporal-kill', point: 'agent' },
  { fault: 'postgres-kill', point: 'merge' },
  { fault: 'postgres-kill', point: 'followup' },
  { fault: 'push-declined', point: 'push' },
  { fault: 'remote-unreachable', point: 'merge' },
  { fault: 'deploy-timeout', point: 'deploy' },
  { fault: 'llm-529', point: 'agent' },
  { fault: 'llm-529-retry-after', point: 'agent' },
  { fault: 'worker-kill', point: 'agent', scenario: 'ten' },
];

export const FULL_MATRIX: Case[] = [
  { fault: 'none', point: 'agent' },
  { fault: 'none', point: 'agent', scenario: 'ten' },
  ...POINT_NAMES.map((point): Case => ({ fault: 'worker-kill', point })),
  ...(['advisors', 'agent', 'push'] as const).map((point): Case => ({ fault: 'worker-pair', point })),
  { fault: 'worker-pair', point: 'deploy' },
  ...(['awaiting', 'agent', 'deploy'] as const).map((point): Case => ({ fault: 'api-kill', point })),
  ...(['awaiting', 'advisors', 'agent', 'push', 'deploy'] as const).map((point): Case => ({ fault: 'temporal-kill', point })),
  ...(['advisors', 'agent', 'merge', 'deploy', 'followup'] as const).map((point): Case => ({ fault: 'postgres-kill', point })),
  { fault: 'push-declined', point: 'push' },
  { fault: 'remote-unreachable', point: 'merge' },
  { fault: 'deploy-timeout', point: 'deploy' },
  ...(['assist', 'advisors', 'agent', 'followup'] as const).map((point): Case => ({ fault: 'llm-529', point })),
  { fault: 'llm-529-retry-after', point: 'agent' },
  ...(['worker-kill', 'worker-pair', 'temporal-kill'] as const).map((fault): Case => ({ fault, point: 'agent', scenario: 'ten' })),
  { fault: 'postgres-kill', point: 'agent', scenario: 'ten' },
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
