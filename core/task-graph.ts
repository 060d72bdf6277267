/**
 * The orchestrator's task graph and its validation. Pure and deterministic: the request workflow validates
 * every graph with it before running a single task.
 */
import { z } from 'zod';
import { moduleSchema, tierSchema } from './plan.js';

export const MAX_TASKS = 50;

export const taskIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'task ids are 1-40 lowercase letters, digits, - or _');

export const graphTaskSchema = z.object({
  id: taskIdSchema,
  title: z.string().trim().min(1).max(200),
  instructions: z.string().trim().min(1).max(8_000),
  module: moduleSchema,
  tier: tierSchema.describe('A: simple edits, copy, config. B: feature work. C: hard debugging, architecture'),
  dependsOn: z.array(taskIdSchema).max(MAX_TASKS).default([]),
});
export type GraphTask = z.infer<typeof graphTaskSchema>;

export const taskGraphSchema = z.object({ tasks: z.array(graphTaskSchema).max(200) });
export type TaskGraph = z.infer<typeof taskGraphSchema>;

/** The graph without instructions: what a workflow needs to schedule, small enough for its history. */
export type TaskNode = Omit<GraphTask, 'instructions'>;

export type GraphCheck = { ok: true; order: string[] } | { ok: false; error: string };

/**
 * Checks what zod cannot: size, unique ids, known dependencies and no cycles. The error is written for the
 * orchestrator model, which is asked once more with it.
 */
export function validateTaskGraph(tasks: ReadonlyArray<Pick<TaskNode, 'id' | 'dependsOn'>>): GraphCheck {
  if (tasks.length === 0) return { ok: false, error: 'The graph has no tasks; give at least one.' };
  if (tasks.length > MAX_TASKS) return { ok: false, error: `The graph has ${tasks.length} tasks; the limit is ${MAX_TASKS}. Merge small tasks.` };
  const ids = new Set<string>();
  for (const t of tasks) {
    if (ids.has(t.id)) return { ok: false, error: `Task id "${t.id}" is used twice; ids must be unique.` };
    ids.add(t.id);
  }
  for (const t of tasks) {
    for (const dep of t.dependsOn) {
      if (dep === t.id) return { ok: false, error: `Task "${t.id}" depends on itself.` };
      if (!ids.has(dep)) return { ok: false, error: `Task "${t.id}" depends on "${dep}", which is not a task in the graph.` };
    }
  }
  // Kahn's algorithm: whatever cannot be ordered sits on a cycle.
  const indegree = new Map(tasks.map((t) => [t.id, t.dependsOn.length]));
  const dependents = new Map<string, string[]>();
  for (const t of tasks) for (const dep of t.dependsOn) dependents.set(dep, [...(dependents.get(dep) ?? []), t.id]);
  const ready = tasks.filter((t) => t.dependsOn.length === 0).map((t) => t.id);
  const order: string[] = [];
  while (ready.length) {
    const id = ready.shift()!;
    order.push(id);
    for (const next of dependents.get(id) ?? []) {
      const left = indegree.get(next)! - 1;
      indegree.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  if (order.length < tasks.length) {
    const stuck = tasks.filter((t) => !order.includes(t.id)).map((t) => t.id);
    return { ok: false, error: `The graph has a dependency cycle among: ${stuck.join(', ')}.` };
  }
  return { ok: true, order };
}

/** Every task that depends on `id`, directly or through others. */
export function transitiveDependents(tasks: ReadonlyArray<Pick<TaskNode, 'id' | 'dependsOn'>>, id: string): string[] {
  const found = new Set<string>();
  const visit = (target: string) => {
    for (const t of tasks) {
      if (t.dependsOn.includes(target) && !found.has(t.id)) {
        found.add(t.id);
        visit(t.id);
      }
    }
  };
  visit(id);
  return [...found];
}
