/** Statuses worth another try: the service was busy, slow or broken, not refusing us. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * Thrown when a remote deployer could not talk to its service: the network failed, the call timed out, or the
 * service answered with an error status. `retryable` is true for network failures, timeouts, 408/429 and 5xx
 * (the deploy activity lets Temporal retry them) and false for everything else, 401/403/404 in particular (a
 * wrong token or application id does not fix itself). The message never contains the service's token.
 */
export class DeployHttpError extends Error {
  override readonly name = 'DeployHttpError';

  constructor(
    /** Which deployer failed: coolify | webhook. */
    readonly service: string,
    message: string,
    /** The HTTP status, or undefined when no answer came. */
    readonly status: number | undefined,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

