/**
 * Every kind of activity has its own timeout and retry profile. Workflows proxy activities through these and
 * nothing else, so a reader finds each promise (how long, how often) in one place.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { DEPLOY_ATTEMPTS } from '../core/deploy-settings.js';
import { NON_RETRYABLE_FAILURES } from '../core/failure-types.js';

/** Non-retryable failures the activities throw (core/failure-types.ts); anything else is retried with backoff. */
const nonRetryableErrorTypes = [...NON_RETRYABLE_FAILURES];

/**
 * Short Postgres reads and writes. Local activities: they run in the worker that runs the workflow, without
 * a round trip through the Temporal server per call, which is most of a task's scheduling overhead.
 *
 * Bounded like every other profile, so a database that stays away fails the request in words instead of
 * leaving it running for ever. 20 attempts at 0.5 s doubling to 10 s wait about two and a half minutes in all
 * (0.5 + 1 + 2 + 4 + 8 + 14 × 10 s between attempts), plus each attempt's own wait for a connection: a Postgres restart or
 * failover fits with room to spare. The fault suite's postgres-kill keeps Postgres down for FAULTS_DOWN_MS
 * (2 s) plus its crash-recovery restart, a few seconds (test/faults/faults.ts WINDOWS.downMs).
 */
export const db = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds', maximumAttempts: 20, nonRetryableErrorTypes },
});

/**
 * Long activities heartbeat every few seconds, so a worker that dies mid-call is noticed within this time and
 * the step moves to another worker, instead of waiting out the whole start-to-close timeout.
 */
const heartbeatTimeout = '20 seconds';

/** One model call: long generations allowed, retried on vendor hiccups. */
export const llm = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout,
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 8, nonRetryableErrorTypes },
});

/** One agent tool call; the tool bounds its own command time, this bounds the activity. */
export const tool = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout,
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5, nonRetryableErrorTypes },
});

/**
 * Clone, fetch, commit, push: network to the git server. loadContext clones here too: a first clone of a big
 * repository may take minutes, and the activity heartbeats while git runs, so a dead worker is noticed in
 * `heartbeatTimeout` rather than at the end of the five minutes.
 */
export const git = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout,
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes },
});

/** Deploys can take a while to build; a failed deploy is reported, not retried forever. */
export const deploy = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout,
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: DEPLOY_ATTEMPTS, nonRetryableErrorTypes },
});

/**
 * The monitor's and the briefing's reads over a project's events and deploys: heavier than `db` (a month of
 * events), so regular activities with room for a slow query.
 */
export const monitor = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes },
});

/** Telling the founder: an SMTP server that does not answer is retried a few times, then given up on. */
export const notify = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes },
});
