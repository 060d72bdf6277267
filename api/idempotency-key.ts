import { z } from 'zod';

/**
 * The optional `Idempotency-Key` header of the POSTs that start or change work (a request, a redeploy, a
 * founder's action): a client that retries with the same key gets the first call's outcome, not a second action.
 */
export const idempotencyHeaders = z.object({ 'idempotency-key': z.string().trim().min(1).max(200).optional() });
