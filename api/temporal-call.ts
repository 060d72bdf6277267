import type { Client } from '@temporalio/client';
import { ApiError } from './errors.js';

/**
 * How long the API waits on Temporal for one start or signal. The SDK retries an unreachable server for far
 * longer than a founder should watch a spinner; past this the request is answered 503 instead.
 */
export const TEMPORAL_CALL_TIMEOUT_MS = 8_000;

/** Runs one Temporal call under the API's deadline. */
export function withinDeadline<R>(client: Client, call: () => Promise<R>): Promise<R> {
  return client.withDeadline(Date.now() + TEMPORAL_CALL_TIMEOUT_MS, call);
}

/** The answer when Temporal did not take a start or signal: the founder can send it again. */
export function temporalUnavailable(message: string, cause: unknown): ApiError {
  return new ApiError(503, 'temporal_unavailable', message, undefined, cause);
}
