import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client, type WorkflowStartOptions } from '@temporalio/client';
import { ApiError } from './errors.js';

/**
 * How long the API waits on Temporal for one start or signal. The SDK retries an unreachable server for far
 * longer than a founder should watch a spinner; past this the request is answered 503 instead.
 */
export const TEMPORAL_CALL_TIMEOUT_MS = 8_000;

/**
 * How long the API waits for the workflow's verdict on a founder's action (an Update). Longer than a start or a
 * signal: the verdict needs a worker, and after a worker crash the workflow's next task waits out the dead
 * worker's sticky queue (10 s) before another worker takes it. Past this the founder is asked to send it again,
 * and the same Idempotency-Key makes that one action.
 */
export const FOUNDER_ACTION_TIMEOUT_MS = 30_000;

/** Runs one Temporal call under the API's deadline. */
export function withinDeadline<R>(client: Client, call: () => Promise<R>, timeoutMs = TEMPORAL_CALL_TIMEOUT_MS): Promise<R> {
  return client.withDeadline(Date.now() + timeoutMs, call);
}

/** The answer when Temporal did not take a start or signal: the founder can send it again. */
export function temporalUnavailable(message: string, cause: unknown): ApiError {
  return new ApiError(503, 'temporal_unavailable', message, undefined, cause);
}

/**
 * Starts a workflow once, under the API's deadline. A run with the same id that exists, or existed, counts as
 * started (REJECT_DUPLICATE): a retried POST never redoes the work. Any other failure is thrown.
 */
export async function startWorkflowOnce(
  client: Client,
  workflowType: string,
  options: Pick<WorkflowStartOptions, 'taskQueue' | 'workflowId' | 'args' | 'typedSearchAttributes'>,
): Promise<void> {
  try {
    await withinDeadline(client, () =>
      client.workflow.start(workflowType, { ...options, workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE }),
    );
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
