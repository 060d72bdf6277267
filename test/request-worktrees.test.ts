import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSessions } from '../db/schema.js';
import { scenarioSchema } from '../llm/scenario.js';
import { runGit } from '../runtime/git/run-git.js';
import { eventually } from './helpers/poll.js';
import { startRequestHarness } from './helpers/request-harness.js';
import { planReply } from './helpers/scenarios.js';

const task = (id: string) => ({ id, title: `Task ${id}`, instructions: `Do ${id}`, module: 'code', tier: 'A', dependsOn: [] });
const README_LINE = '# Acme Notes';

const scenarios = [
  scenarioSchema.parse({
    name: 'parallel',
    match: '^parallel\\b',
    assist: [planReply('Two things at once')],
    advisors: { code: { summary: 'two', tasks: [{ title: 'two', instructions: 'two', complexity: 'simple' }] } },
    orchestrator: [{ tasks: [task('left'), task('right')] }],
    agents: {
      left: [
        { tool: 'write_file', input: { path: 'left.txt', content: 'left\n' }, delayMs: 1_500 },
        { tool: 'finish', input: { summary: 'left done' } },
      ],
      right: [
        { tool: 'list_files', input: {} },
        { tool: 'write_file', input: { path: 'right.txt', content: 'right\n' }, delayMs: 1_500 },
        { tool: 'finish', input: { summary: 'right done' } },
      ],
    },
    followUp: { text: 'Both are live.' },
  }),
  scenarioSchema.parse({
    name: 'clash',
    match: '^clash\\b',
    assist: [planReply('Two edits to the same line')],
    advisors: { code: { summary: 'two', tasks: [{ title: 'two', instructions: 'two', complexity: 'simple' }] } },
    orchestrator: [{ tasks: [task('first'), task('second')] }],
    agents: {
      first: [
        { tool: 'edit_file', input: { path: 'README.md', old_text: README_LINE, new_text: '# Acme Notes, calm and fast' } },
        { tool: 'finish', input: { summary: 'first title' } },
      ],
      // Tier A edits the same line later (its merge conflicts); tier B is sent back to resolve it.
      second: {
        A: [
          { tool: 'edit_file', input: { path: 'README.md', old_text: README_LINE, new_text: '# Acme Notes for teams' }, delayMs: 1_500 },
          { tool: 'finish', input: { summary: 'second title' } },
        ],
        B: [
          { tool: 'read_file', input: { path: 'README.md' } },
          { tool: 'execute_command', input: { command: "grep -c '<<<<<<<' README.md" } },
          { tool: 'execute_command', input: { command: "sed -i '/^<<<<<<< /,/^>>>>>>> /c\\\\# Acme Notes, calm and fast, for teams' README.md" } },
          { tool: 'finish', input: { summary: 'both titles kept' } },
        ],
      },
    },
    followUp: { text: 'Done.' },
  }),
];

describe('tasks in their own worktrees', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let projectId: string;
  beforeAll(async () => {
    h = await startRequestHarness(scenarios, { maxParallelTasks: 2 });
    projectId = await h.createProject();
  });
  afterAll(() => h?.stop());

  const run = (text: string, whileRunning?: (conversationId: string) => Promise<void>) => h.runConfirmed(projectId, text, whileRunning);

  /** The live file view of a running task's worktree, through the API. */
  const browse = async (conversationId: string) => {
    const running = await h.waitFor(conversationId, 'a running task', (c) => c.tasks.some((t) => t.id === 'left' && t.status === 'running'));
    const sessionId = (running.tasks.find((t) => t.id === "left") as unknown as { sessionId: string }).sessionId;
    const listing = await eventually('the worktree', async () => {
      const res = await h.call('GET', `/api/sessions/${sessionId}/files`);
      return res.status === 200 ? res.body : undefined;
    });
    expect(listing.files.map((f: { path: string }) => f.path)).toContain('README.md');
    const file = await h.call('GET', `/api/sessions/${sessionId}/files/README.md`);
    expect(file.body).toMatchObject({ path: 'README.md', truncated: false, content: expect.stringContaining('Acme Notes') });
    const escape = await h.call('GET', `/api/sessions/${sessionId}/files/..%2F..%2F..%2Fetc%2Fpasswd`);
    expect(escape.status).toBe(400);
    expect(escape.body.error.field).toBe('path');
    sessionsSeen.push(sessionId);
  };
  const sessionsSeen: string[] = [];

  it('run two tasks at once, each on its own branch, and push both changes as one commit', async () => {
    const { conversationId, done } = await run('parallel work', browse);
    // Merged and pushed: the worktree is gone, and the view says so.
    expect((await h.call('GET', `/api/sessions/${sessionsSeen[0]}/files`)).body.error.code).toBe('worktree_gone');
    expect(done).toMatchObject({ status: 'completed', outcome: 'tasked' });
    const sessions = await h.database.db.select().from(agentSessions).where(eq(agentSessions.conversationId, conversationId));
    const [a, b] = sessions.map((s) => ({ start: s.startedAt!.getTime(), end: s.completedAt!.getTime() }));
    expect(Math.max(a!.start, b!.start)).toBeLessThan(Math.min(a!.end, b!.end));

    // Each agent saw only its own worktree: `right` listed files while `left` was writing, without left.txt.
    const events = await h.events(conversationId);
    const listing = events.find((e) => e.kind === 'agent.tool_result' && e.payload.name === 'list_files');
    expect(listing?.payload.output).not.toContain('left.txt');
    expect(events.filter((e) => e.kind === 'task.merged')).toHaveLength(2);

    const log = (await runGit(h.remote.bareDir, ['log', '--format=%s', 'main'])).stdout.split('\n');
    expect(log).toHaveLength(2);
    const files = (await runGit(h.remote.bareDir, ['ls-tree', '--name-only', 'main'])).stdout.split('\n');
    expect(files).toEqual(expect.arrayContaining(['left.txt', 'right.txt']));
    // The request's branches and worktrees are cleaned up once it is pushed.
    const branches = (await runGit(`${h.deps.home}/workspaces/${projectId}/repo`, ['branch', '--list', 'vibn/*'])).stdout;
    expect(branches.trim()).toBe('');
  });

  it('send a task whose merge conflicts back once to resolve it, then merge both changes', async () => {
    const { conversationId, done } = await run('clash on the title');
    expect(done).toMatchObject({ status: 'completed', outcome: 'tasked' });
    const events = await h.events(conversationId);
    expect(events.find((e) => e.kind === 'task.conflict')?.payload).toMatchObject({ taskId: 'second', conflicts: ['README.md'] });
    const instructions = events.filter((e) => e.kind === 'agent.instructions' && (e.payload.conflicts as string[]).length > 0);
    expect(instructions).toHaveLength(1);
    expect(instructions[0]!.payload).toMatchObject({ tier: 'B' });
    const readme = (await runGit(h.remote.bareDir, ['show', 'main:README.md'])).stdout;
    expect(readme.split('\n')[0]).toBe('# Acme Notes, calm and fast, for teams');
    expect(readme).not.toMatch(/<<<<<<<|>>>>>>>/);
  });
});
