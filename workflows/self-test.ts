import { proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

const { recordEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // Bounded like every profile: a self-test that cannot write for about two minutes has found its answer.
  retry: { initialInterval: '200 milliseconds', maximumInterval: '5 seconds', maximumAttempts: 30 },
});

export type SelfTestInput = { conversationId: string; steps: number; pauseMs: number };
export type SelfTestResult = { written: number[] };

/**
 * A deliberately small run through the whole stack: durable timers and an activity that writes to Postgres.
 * It proves a deployment works end to end, and the tests use it to show that a worker crash loses nothing.
 */
export async function selfTestWorkflow({ conversationId, steps, pauseMs }: SelfTestInput): Promise<SelfTestResult> {
  const { workflowId } = workflowInfo();
  const written: number[] = [];
  for (let step = 1; step <= steps; step++) {
    const { seq } = await recordEvent({
      conversationId,
      kind: 'self_test.step',
      payload: { step, of: steps },
      idempotencyKey: `${workflowId}:self-test:${step}`,
    });
    written.push(seq);
    if (step < steps) await sleep(pauseMs);
  }
  return { written };
}
