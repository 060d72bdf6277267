import { Context } from '@temporalio/activity';

const HEARTBEAT_EVERY_MS = 5_000;

/**
 * Runs a long call (a model turn, a deploy) inside an activity while heartbeating, so Temporal notices a dead
 * worker within the heartbeat timeout and a cancelled request (`stop`) reaches the call through `signal`.
 */
export async function whileHeartbeating<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await call(context.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}
