/**
 * What Temporal saw of a bench:load run, read back from the workflow histories: their lengths by workflow type,
 * and which worker (by identity) took each workflow task and each activity task, to show how the load spread.
 */
import type { Client } from '@temporalio/client';

export type HistoryStats = {
  byType: Array<{ type: string; count: number; p50: number; max: number; mean: number }>;
  /** Workflow tasks and activity tasks started, by worker identity. */
  byWorker: Map<string, { workflowTasks: number; activityTasks: number }>;
  /** Activities that needed more than one attempt, by the innermost reason of their last failure. */
  retried: Map<string, number>;
  /** Workflow tasks that failed or timed out (each one is redone, on the same or another worker). */
  workflowTaskFailures: number;
};

type Failure = { message?: string | null; cause?: Failure | null };
const innermost = (f: Failure): string => (f.cause ? innermost(f.cause) : (f.message ?? 'unknown')).replace(/[0-9a-f-]{36}/g, '…').slice(0, 100);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** Reads every workflow in the namespace (a fresh dev server holds only the bench's), `parallel` at a time. */
export async function readHistories(client: Client, parallel = 8): Promise<HistoryStats> {
  const executions: Array<{ workflowId: string; runId: string; type: string }> = [];
  for await (const info of client.workflow.list()) executions.push({ workflowId: info.workflowId, runId: info.runId, type: info.type });

  const lengths = new Map<string, number[]>();
  const byWorker = new Map<string, { workflowTasks: number; activityTasks: number }>();
  const retried = new Map<string, number>();
  let workflowTaskFailures = 0;
  const tally = (identity: string | null | undefined, field: 'workflowTasks' | 'activityTasks') => {
    const key = identity || 'unknown';
    const row = byWorker.get(key) ?? { workflowTasks: 0, activityTasks: 0 };
    row[field] += 1;
    byWorker.set(key, row);
  };

  let next = 0;
  const readOne = async () => {
    while (next < executions.length) {
      const e = executions[next++]!;
      const history = await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory();
      const events = history.events ?? [];
      lengths.set(e.type, [...(lengths.get(e.type) ?? []), events.length]);
      for (const event of events) {
        if (event.workflowTaskStartedEventAttributes) tally(event.workflowTaskStartedEventAttributes.identity, 'workflowTasks');
        const started = event.activityTaskStartedEventAttributes;
        if (started) {
          tally(started.identity, 'activityTasks');
          if ((started.attempt ?? 1) > 1) {
            const reason = started.lastFailure ? innermost(started.lastFailure) : 'unknown';
            retried.set(reason, (retried.get(reason) ?? 0) + 1);
          }
        }
        if (event.workflowTaskFailedEventAttributes || event.workflowTaskTimedOutEventAttributes) workflowTaskFailures += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, readOne));

  const byType = [...lengths.entries()]
    .map(([type, values]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return { type, count: sorted.length, p50: percentile(sorted, 50), max: sorted.at(-1)!, mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
    })
    .sort((a, b) => b.count - a.count);
  return { byType, byWorker, retried, workflowTaskFailures };
}
