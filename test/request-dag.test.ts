import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSessions } from '../db/schema.js';
import { scenarioSchema } from '../llm/scenario.js';
import { runGit } from '../runtime/git/run-git.js';
import { startRequestHarness } from './helpers/request-harness.js';
import { planReply } from './helpers/scenarios.js';

const write = (id: string, delayMs = 0) => [
  { tool: 'write_file', input: { path: `dag/${id}.txt`, content: `${id}\n` }, delayMs },
  { tool: 'finish', input: { summary: `wrote ${id}` } },
];
const task = (id: string, dependsOn: string[] = [], tier = 'A') => ({ id, title: `Task ${id}`, instructions: `Write dag/${id}.txt`, module: 'code', tier, dependsOn });

const scenarios = [
  scenarioSchema.parse({
    name: 'dag',
    match: '^dag\\b',
    assist: [planReply('Build the graph')],
    advisors: { code: { summary: 'graph', tasks: [{ title: 'all', instructions: 'all', complexity: 'standard' }] } },
    orchestrator: [
      // The first graph has a cycle: the orchestrator is asked once more with the error.
      { tasks: [task('a', ['b']), task('b', ['a'])] },
      { tasks: [task('a'), task('b'), task('c'), task('d', ['a', 'b']), task('e', ['d']), task('flaky')] },
    ],
    agents: {
      a: write('a', 1_500),
      b: write('b', 1_500),
      c: write('c', 1_500),
      d: write('d'),
      e: write('e'),
      // Tier A has no script (the agent stops without finishing); tier B does the work.
      flaky: { B: write('flaky') },
    },
    followUp: { text: 'The graph is live.' },
  }),
  scenarioSchema.parse({
    name: 'broken',
    match: '^broken\\b',
    assist: [planReply('Build what cannot be built')],
    advisors: { code: { summary: 'x', tasks: [{ title: 'x', instructions: 'x', complexity: 'simple' }] } },
    orchestrator: [{ tasks: [task('ok'), task('doomed', [], 'B'), task('after', ['doomed']), task('later', ['after'])] }],
    agents: { ok: write('ok'), after: write('after'), later: write('later') },
  }),
  scenarioSchema.parse({
    name: 'looping',
    match: '^looping\\b',
    assist: [planReply('Run what keeps failing')],
    advisors: { code: { summary: 'x', tasks: [{ title: 'x', instructions: 'x', complexity: 'simple' }] } },
    orchestrator: [{ tasks: [task('stuck')] }],
    // The same failing command over and over, on every tier: a loop to cut short, not progress.
    agents: { stuck: Array.from({ length: 10 }, () => ({ tool: 'execute_command', input: { command: 'exit 3' } })) },
  }),
  scenarioSchema.parse({
    name: 'cyclic',
    match: '^cyclic\\b',
    assist: [planReply('Loop forever')],
    advisors: { code: { summary: 'x', tasks: [{ title: 'x', instructions: 'x', complexity: 'simple' }] } },
    orchestrator: [{ tasks: [task('a', ['b']), task('b', ['a'])] }, { tasks: [task('a', ['zzz'])] }],
  }),
];

describe('the task graph', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let projectId: string;
  beforeAll(async () => {
    h = await startRequestHarness(scenarios, { maxParallelTasks: 3 });
    projectId = await h.createProject();
  });
  afterAll(() => h?.stop());

  const run = (text: string) => h.runConfirmed(projectId, text);

  it('runs independent tasks at once, dependents only after their dependencies, and escalates a failing task once', async () => {
    const { conversationId, done } = await run('dag of tasks');
    expect(done).toMatchObject({ status: 'completed', outcome: 'tasked' });
    expect(done.tasks.every((t) => t.status === 'done')).toBe(true);

    const sessions = await h.database.db.select().from(agentSessions).where(eq(agentSessions.conversationId, conversationId));
    const at = Object.fromEntries(sessions.map((s) => [s.taskKey, { start: s.startedAt!.getTime(), end: s.completedAt!.getTime(), tier: s.tier }]));
    // a, b and c overlap in time: they ran concurrently.
    const latestStart = Math.max(at.a!.start, at.b!.start, at.c!.start);
    const earliestEnd = Math.min(at.a!.end, at.b!.end, at.c!.end);
    expect(latestStart).toBeLessThan(earliestEnd);
    expect(at.d!.start).toBeGreaterThanOrEqual(Math.max(at.a!.end, at.b!.end));
    expect(at.e!.start).toBeGreaterThanOrEqual(at.d!.end);
    expect(at.flaky!.tier).toBe('B');
    const flaky = sessions.find((s) => s.taskKey === 'flaky')!;
    expect(flaky.output).toEqual([
      expect.objectContaining({ attempt: 1, status: 'failed' }),
      expect.objectContaining({ attempt: 2, status: 'done' }),
    ]);

    const events = await h.events(conversationId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const files = (await runGit(h.remote.bareDir, ['ls-tree', '-r', '--name-only', 'main', 'dag/'])).stdout.trim().split('\n');
    expect(files.sort()).toEqual(['dag/a.txt', 'dag/b.txt', 'dag/c.txt', 'dag/d.txt', 'dag/e.txt', 'dag/flaky.txt']);
  });

  it('a task that fails on its tier and the next skips its dependents and fails the request, committing nothing', async () => {
    const before = (await runGit(h.remote.bareDir, ['rev-parse', 'main'])).stdout.trim();
    const { done } = await run('broken graph');
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/"Task doomed" could not be done/);
    const status = Object.fromEntries(done.tasks.map((t) => [t.id, t.status]));
    expect(status).toEqual({ ok: 'done', doomed: 'failed', after: 'skipped', later: 'skipped' });
    expect((await runGit(h.remote.bareDir, ['rev-parse', 'main'])).stdout.trim()).toBe(before);
  });

  it('an agent repeating the same failing step is cut short instead of burning its steps', async () => {
    const { conversationId, done } = await run('looping agent');
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/kept repeating the same failing step \(execute_command\)/);
    const commands = (await h.events(conversationId)).filter((e) => e.kind === 'agent.tool_result');
    // Three tries on tier A, three on the escalated tier B: six commands, not twenty.
    expect(commands).toHaveLength(6);
  });

  it('a second invalid graph fails the request in plain words before any task runs', async () => {
    const { done } = await run('cyclic graph');
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/couldn't turn the plan into a workable set of tasks .*"zzz"/);
    expect(done.tasks).toEqual([]);
  });
});

describe("an agent's wall-time limit", () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  beforeAll(async () => {
    const slow = scenarioSchema.parse({
      name: 'slow',
      match: '^slow\\b',
      assist: [planReply('Think for a long time')],
      advisors: { code: { summary: 'x', tasks: [{ title: 'x', instructions: 'x', complexity: 'simple' }] } },
      orchestrator: [{ tasks: [task('ponder', [], 'C')] }],
      agents: { ponder: [{ tool: 'list_files', input: {}, delayMs: 2_500 }, { tool: 'finish', input: { summary: 'done' } }] },
    });
    h = await startRequestHarness([slow], { agentMaxWallMs: 1_000 });
  });
  afterAll(() => h?.stop());

  it('ends an attempt that outlives it, in plain words', async () => {
    const projectId = await h.createProject();
    const { done } = await h.runConfirmed(projectId, 'slow thinking');
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/"Task ponder" could not be done \(The task ran out of time/);
  });
});
