/**
 * One HTTP call to a deploy service, bounded in time, with every failure turned into a {@link DeployHttpError}
 * that says whether trying again may help. No retries here: the deploy activity's retry policy owns them.
 */
import { DeployHttpError, isRetryableStatus } from './deploy-http-error.js';
import { redactSecrets } from './deployer.js';

/** Thrown when the caller's signal ended the call: nobody waits for the answer any more. */
export class DeployAbortedError extends Error {
  override readonly name = 'DeployAbortedError';
}

export type HttpCall = {
  /** Names the deployer in errors: coolify | webhook. */
  service: string;
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** One call's deadline; past it the call fails as retryable. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Removed from every message this call throws (tokens, signing secrets). */
  secrets: ReadonlyArray<string | undefined>;
};

/** How much of an error answer's body goes into the error message. */
const ERROR_BODY_CHARS = 500;

/** Makes the call; resolves with a 2xx answer's status and body, rejects with DeployHttpError otherwise. */
export async function httpCall(call: HttpCall): Promise<{ status: number; text: string }> {
  const timeout = AbortSignal.timeout(call.timeoutMs);
  const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
  const where = `${call.method} ${redactSecrets(safeUrl(call.url), call.secrets)}`;
  let response: Response;
  let text: string;
  try {
    response = await fetch(call.url, { method: call.method, headers: call.headers, body: call.body, signal, redirect: 'manual' });
    text = await response.text();
  } catch (err) {
    if (call.signal?.aborted) throw new DeployAbortedError(`${where} was aborted`, { cause: err });
    if (timeout.aborted) throw new DeployHttpError(call.service, `${where} got no answer within ${call.timeoutMs} ms`, undefined, true, { cause: err });
    const reason = redactSecrets(String((err as Error).cause ?? (err as Error).message), call.secrets);
    throw new DeployHttpError(call.service, `${where} failed: ${reason}`, undefined, true, { cause: err });
  }
  if (response.status >= 200 && response.status < 300) return { status: response.status, text };
  const snippet = redactSecrets(text.slice(0, ERROR_BODY_CHARS), call.secrets).trim();
  throw new DeployHttpError(
    call.service,
    `${where} answered ${response.status}${snippet ? `: ${snippet}` : ''}`,
    response.status,
    isRetryableStatus(response.status),
  );
}

/** The URL without user info or query, for messages. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
