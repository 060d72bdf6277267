/**
 * One task of a request, run by a coding agent: an LLM turn, then each tool call it asks for, until it calls
 * `finish` or runs out of steps or time. Every turn and every tool call is its own activity, so a crashed
 * worker resumes at the step it was on. Transcripts live in Postgres; this history carries ids and flags.
 */
import { CancellationScope, isCancellation, patched, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { SESSION_STATUS } from '../core/search-attributes.js';
import type { Tier } from '../core/plan.js';
import { db, git, llm, tool } from './activity-profiles.js';
import { budgetPauseOf } from './budget.js';
import type { BudgetPause } from './request-contract.js';

export type DependencyOutput = { taskId: string; summary: string; changedFiles: string[] };

export type TaskInput = {
  projectId: string;
  conversationId: string;
  sessionId: string;
  taskId: string;
  tier: Tier;
  /** 1 for the first try; later attempts are the escalated retry or a conflict resolution. */
  attempt: number;
  title: string;
  /** Bring the integration branch in and have the agent resolve the conflict its merge ran into. */
  resolveConflict?: boolean;
  requestText: string;
  maxSteps: number;
  maxWallMs: number;
  dependencies: DependencyOutput[];
};

export type TaskResult = {
  /** `budget`: paused before a model call over budget; the same attempt can be started again to resume. */
  status: 'done' | 'failed' | 'budget';
  summary: string;
  changedFiles: string[];
  error?: string;
  budgetPause?: BudgetPause;
};

/** Turns in a row without a tool call before the agent is judged to have stopped working. */
const MAX_IDLE_TURNS = 2;
/** The same failing tool call this many times in a row is a loop, not progress: the attempt ends. */
const MAX_REPEATED_FAILURES = 3;
/** Finishes refused because the project's checks failed, before the attempt ends (and the task escalates). */
const MAX_FAILED_CHECKS = 3;

export async function taskWorkflow(input: TaskInput): Promise<TaskResult> {
  const { sessionId, conversationId, attempt } = input;
  const changed = new Set<string>();
  const end = async (status: 'done' | 'failed' | 'stopped', summary: string, error?: string) => {
    // The Web UI's SessionStatus follows the task to its end; tasks started before it did keep their history.
    if (patched('task-status-attribute')) upsertSearchAttributes([{ key: SESSION_STATUS, value: status }]);
    await db.finishAgentAttempt({ sessionId, conversationId, attempt, status, summary, error, changedFiles: [...changed] });
  };

  try {
    const { workdir, conflicts } = await git.prepareTaskWorkspace({
      projectId: input.projectId,
      conversationId,
      sessionId,
      taskId: input.taskId,
      resolveConflict: input.resolveConflict,
    });
    await db.startAgentAttempt({
      sessionId,
      conversationId,
      attempt,
      tier: input.tier,
      dependencies: input.dependencies,
      conflicts,
    });
    // A durable timer marks the end of the attempt's wall time; turns check the mark between steps.
    let outOfTime = false;
    void sleep(input.maxWallMs).then(
      () => (outOfTime = true),
      () => undefined, // cancelled with the task: nothing to mark
    );
    let idle = 0;
    let lastFailure = '';
    let repeated = 0;
    let failedChecks = 0;
    for (let turn = 0; turn < input.maxSteps; turn++) {
      if (outOfTime) {
        const error = `The task ran out of time (${Math.round(input.maxWallMs / 60_000)} min) before it was finished.`;
        await end('failed', '', error);
        return { status: 'failed', summary: '', changedFiles: [...changed], error };
      }
      let reply;
      try {
        reply = await llm.agentTurn({
          sessionId,
          conversationId,
          attempt,
          turn,
          tier: input.tier,
          taskId: input.taskId,
          requestText: input.requestText,
        });
      } catch (err) {
        const pause = budgetPauseOf(err);
        if (!pause) throw err;
        return { status: 'budget', summary: '', changedFiles: [...changed], budgetPause: pause };
      }
      if (reply.toolCalls.length === 0) {
        if (++idle >= MAX_IDLE_TURNS) break;
        continue;
      }
      idle = 0;
      let finished: string | undefined;
      for (const call of reply.toolCalls) {
        const result = await tool.runTool({ sessionId, conversationId, attempt, turn, toolUseId: call.id, workdir });
        result.changedFiles.forEach((f) => changed.add(f));
        if (result.finish !== undefined) finished = result.finish;
        if (result.checksFailed && ++failedChecks >= MAX_FAILED_CHECKS) {
          const error = `The project's checks still failed after ${MAX_FAILED_CHECKS} attempts to finish.`;
          await end('failed', '', error);
          return { status: 'failed', summary: '', changedFiles: [...changed], error };
        }
        repeated = result.isError && result.signature === lastFailure ? repeated + 1 : result.isError ? 1 : 0;
        lastFailure = result.isError ? result.signature : '';
        if (repeated >= MAX_REPEATED_FAILURES) {
          const error = `The agent kept repeating the same failing step (${call.name}) and was stopped.`;
          await end('failed', '', error);
          return { status: 'failed', summary: '', changedFiles: [...changed], error };
        }
      }
      if (finished !== undefined) {
        await end('done', finished);
        return { status: 'done', summary: finished, changedFiles: [...changed] };
      }
    }
    const error =
      idle >= MAX_IDLE_TURNS
        ? 'The agent stopped without finishing the task.'
        : `The agent used all ${input.maxSteps} steps without finishing the task.`;
    await end('failed', '', error);
    return { status: 'failed', summary: '', changedFiles: [...changed], error };
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => end('stopped', '', 'Stopped by the founder.'));
    }
    throw err;
  }
}
