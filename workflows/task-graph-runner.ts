/**
 * Runs a request's task graph: each ready task (all its dependencies done) starts as a child workflow, up to
 * the request's parallel limit; a failed task is retried once on the next tier up; a task that still fails
 * skips everything that depends on it. Workflow code: deterministic scheduling only.
 */
import { ParentClosePolicy, patched, startChild, workflowInfo } from '@temporalio/workflow';
import { PROJECT_ID, SESSION_STATUS } from '../core/search-attributes.js';
import { nextTier } from '../core/plan.js';
import { transitiveDependents } from '../core/task-graph.js';
import type { BudgetPause, RequestInput, RequestState, TaskView } from './request-contract.js';
import { sessionTaskWorkflowId, taskWorkflowId } from './request-contract.js';
import { taskWorkflow, type DependencyOutput, type TaskResult } from './task.js';

type RunGraph = {
  input: RequestInput;
  state: RequestState;
  /** Commits a finished task and merges it into the request's integration branch. */
  integrate: (task: TaskView, attempt: number) => Promise<{ ok: true } | { ok: false; conflicts: string[] }>;
  /** Records a task that will never run; running tasks record their own status from inside their workflow. */
  reportSkipped: (taskId: string) => Promise<unknown>;
  /** Waits for the founder's answer to a budget pause; returns only if the work may go on. */
  budgetGate: (pause: BudgetPause) => Promise<void>;
};

/** Runs every task it can; returns a plain-language reason when the request must end failed, else undefined. */
export async function runTaskGraph({ input, state, integrate, reportSkipped, budgetGate }: RunGraph): Promise<string | undefined> {
  const outputs = new Map<string, DependencyOutput>();
  const attempts = new Map<string, number>();
  const running = new Map<string, Promise<[string, TaskResult]>>();
  const failures: string[] = [];
  const byId = new Map(state.tasks.map((t) => [t.id, t]));

  const resumes = new Map<string, number>();

  const conflictResolved = new Set<string>();

  /** A task that failed for good: everything that depends on it is skipped, and the request will fail. */
  const fail = async (task: TaskView, reason: string) => {
    failures.push(reason);
    task.status = 'failed';
    for (const dependent of transitiveDependents(state.tasks, task.id)) {
      const t = byId.get(dependent)!;
      if (t.status === 'pending') {
        t.status = 'skipped';
        await reportSkipped(t.id);
      }
    }
  };

  /** Starts a task's next attempt, or (`resume`) the same attempt again after a budget pause. */
  const launch = async (task: TaskView, resume = false, resolveConflict = false) => {
    const attempt = (attempts.get(task.id) ?? 0) + (resume ? 0 : 1);
    attempts.set(task.id, attempt);
    const resumed = resume ? (resumes.get(task.id) ?? 0) + 1 : 0;
    resumes.set(task.id, resumed);
    // Tasks started before they were named by their request keep the ids (and bare attributes) they had.
    const named = patched('task-ids');
    const child = await startChild(taskWorkflow, {
      workflowId: named
        ? taskWorkflowId(workflowInfo().workflowId, task.id, attempt, resumed)
        : sessionTaskWorkflowId(task.sessionId!, attempt, resumed),
      // The Web UI lists a project's tasks beside its requests, and where each stands.
      ...(named && {
        typedSearchAttributes: [
          { key: PROJECT_ID, value: input.projectId },
          { key: SESSION_STATUS, value: 'running' },
        ],
      }),
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      args: [
        {
          projectId: input.projectId,
          conversationId: input.conversationId,
          sessionId: task.sessionId!,
          taskId: task.id,
          title: task.title,
          tier: task.tier,
          attempt,
          resolveConflict,
          requestText: input.requestText,
          maxSteps: input.settings.agentMaxSteps,
          maxWallMs: input.settings.agentMaxWallMs,
          dependencies: task.dependsOn.map((id) => outputs.get(id)!),
        },
      ],
    });
    running.set(task.id, child.result().then((result) => [task.id, result] as [string, TaskResult]));
  };

  for (;;) {
    const ready = state.tasks.filter(
      (t) => t.status === 'pending' && !running.has(t.id) && t.dependsOn.every((d) => byId.get(d)?.status === 'done'),
    );
    const launching = ready.slice(0, Math.max(0, input.settings.maxParallelTasks - running.size));
    for (const task of launching) task.status = 'running';
    await Promise.all(launching.map((task) => launch(task)));
    if (running.size === 0) break;

    const [id, result] = await Promise.race(running.values());
    running.delete(id);
    const task = byId.get(id)!;
    if (result.status === 'budget') {
      // The agent stopped before a model call it could not afford; once allowed, it resumes at that step.
      await budgetGate(result.budgetPause!);
      await launch(task, true);
      continue;
    }
    if (result.status === 'done') {
      const merged = await integrate(task, attempts.get(id)!);
      if (merged.ok) {
        outputs.set(id, { taskId: id, summary: result.summary, changedFiles: result.changedFiles });
        task.status = 'done';
        continue;
      }
      if (!conflictResolved.has(id)) {
        // Sent back once, to an agent of at least Tier B, with the conflict in its worktree to resolve.
        conflictResolved.add(id);
        if (task.tier === 'A') task.tier = 'B';
        await launch(task, false, true);
        continue;
      }
      await fail(task, `"${task.title}" clashes with other work in ${merged.conflicts.join(', ')} and could not be combined`);
      continue;
    }
    const higher = nextTier(task.tier);
    if (higher && attempts.get(id) === 1) {
      task.tier = higher;
      await launch(task);
      continue;
    }
    await fail(task, `"${task.title}" could not be done (${result.error ?? 'no reason given'})`);
  }
  if (failures.length === 0) return undefined;
  return `The work was stopped before anything went live: ${failures.join('; ')}. Nothing was committed.`;
}
