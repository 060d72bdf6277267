/**
 * bench:dag — how close the request workflow's scheduling gets to the ideal. Scripted agents with fixed
 * durations run a 20-task graph of width 4 and a 50-task chain; the makespan is set beside the critical path.
 */
import { eq } from 'drizzle-orm';
import { agentSessions } from '../db/schema.js';
import { scenarioSchema } from '../llm/scenario.js';
import { requestWorkflowId, stateQuery, taskWorkflowId } from '../workflows/request-contract.js';
import { startBenchStack } from './stack.js';

type Shape = { name: string; layers: number; width: number; taskMs: number };

const shapes: Shape[] = [
  { name: '20 tasks, width 4', layers: 5, width: 4, taskMs: 1_000 },
  { name: '50-task chain', layers: 50, width: 1, taskMs: 1_000 },
];

/** Layer k's tasks each depend on every task of layer k-1: the critical path is `layers` tasks long. */
function scenarioFor(shape: Shape) {
  const tasks = [];
  const agents: Record<string, unknown> = {};
  for (let layer = 0; layer < shape.layers; layer++) {
    for (let i = 0; i < shape.width; i++) {
      const id = `l${layer}-t${i}`;
      const dependsOn = layer === 0 ? [] : Array.from({ length: shape.width }, (_, j) => `l${layer - 1}-t${j}`);
      tasks.push({ id, title: id, instructions: `Do ${id}`, module: 'code', tier: 'A', dependsOn });
      agents[id] = [{ tool: 'finish', input: { summary: `did ${id}` }, delayMs: shape.taskMs }];
    }
  }
  const key = shape.name.replace(/\W+/g, '-');
  return scenarioSchema.parse({
    name: key,
    match: `^${key}$`,
    assist: [{ kind: 'plan', text: 'Plan', plan: { summary: shape.name, items: [{ module: 'code', text: shape.name }], estimatedMinutes: 1 } }],
    advisors: { code: { summary: shape.name, tasks: [{ title: 'all', instructions: 'all', complexity: 'simple' }] } },
    orchestrator: [{ tasks }],
    agents,
    followUp: { text: 'Done.' },
  });
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main() {
  const scenarios = shapes.map(scenarioFor);
  const stack = await startBenchStack(scenarios, { confirmTimeoutMs: 60_000, maxParallelTasks: 4, agentMaxSteps: 5, agentMaxWallMs: 600_000 });
  const rows: string[][] = [];
  try {
    const { id: projectId } = await stack.call('POST', '/api/projects', { name: 'bench', repoUrl: stack.remote.remoteUrl });
    for (const [i, shape] of shapes.entries()) {
      const { conversationId } = await stack.call('POST', `/api/projects/${projectId}/requests`, { text: scenarios[i]!.name });
      await waitFor(async () => ((await stack.call('GET', `/api/conversations/${conversationId}`)).phase === 'awaiting_confirmation' ? true : undefined), 60_000);
      await stack.call('POST', `/api/conversations/${conversationId}/confirm`, { planVersion: 1 });
      const done = await waitFor(async () => {
        const c = await stack.call('GET', `/api/conversations/${conversationId}`);
        return c.status !== 'running' ? c : undefined;
      }, 600_000);
      if (done.status !== 'completed') throw new Error(`${shape.name}: request ended ${done.status}: ${done.error}`);

      const sessions = await stack.database.db.select().from(agentSessions).where(eq(agentSessions.conversationId, conversationId));
      const start = Math.min(...sessions.map((s) => s.startedAt!.getTime()));
      const end = Math.max(...sessions.map((s) => s.completedAt!.getTime()));
      const makespan = end - start;
      const ideal = shape.layers * shape.taskMs;
      const requestId = requestWorkflowId(projectId, conversationId);
      const requestHandle = stack.client.workflow.getHandle(requestId);
      const request = await requestHandle.describe();
      const { tasks } = await requestHandle.query(stateQuery);
      let largestChild = 0;
      for (const t of tasks) {
        const child = await stack.client.workflow.getHandle(taskWorkflowId(requestId, t.id, 1)).describe();
        largestChild = Math.max(largestChild, child.historyLength);
      }
      rows.push([
        shape.name,
        String(sessions.length),
        `${(ideal / 1000).toFixed(1)} s`,
        `${(makespan / 1000).toFixed(1)} s`,
        `${(((makespan - ideal) / ideal) * 100).toFixed(1)} %`,
        `${((makespan - ideal) / shape.layers).toFixed(0)} ms`,
        String(request.historyLength),
        String(largestChild),
      ]);
    }
  } finally {
    await stack.stop();
  }
  const header = ['graph', 'tasks', 'critical path', 'makespan', 'over ideal', 'overhead / task on path', 'request history', 'largest task history'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
