/**
 * Model output fuzzing at the provider boundary: every role (Assist's reply and plan card, the advisor's plan,
 * the orchestrator's graph, the agent's tool calls) answers with generated output: valid, schema-valid
 * nonsense, or not JSON at all. Whatever it says, the request re-asks or ends in plain words, its step log stays
 * contiguous, and nothing is written half-way: no commit, push or deploy unless the request completed.
 * Seeded and reproducible: FUZZ_SEED=<n>, FUZZ_LLM_RUNS=<n>.
 */
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSessions, deploys } from '../db/schema.js';
import { scenarioSchema, type Scenario } from '../llm/scenario.js';
import { runGit } from '../runtime/git/run-git.js';
import { eventually } from './helpers/poll.js';
import { startRequestHarness } from './helpers/request-harness.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const RUNS = Number(process.env.FUZZ_LLM_RUNS ?? 8);

const notJson = fc.constantFrom('', 'Sure! Here is the plan:', '{"kind": "plan", ', '```json\n{}\n```', 'null', '[]', '{"a":1}}');
const raw = notJson.map(($raw) => ({ $raw }));
const validPlan = fc.constant({ kind: 'plan', text: 'Here is my plan.', plan: { summary: 'Write the notes file', items: [{ module: 'code', text: 'Write notes/fuzz.md' }], estimatedMinutes: 2 } });

const assistReply = fc.oneof(
  { weight: 3, arbitrary: validPlan },
  { weight: 1, arbitrary: fc.constant({ kind: 'answer', text: 'Nothing to change.' }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'question', text: 'Which page?' }) },
  { weight: 2, arbitrary: raw },
  // Schema-shaped nonsense: an unknown kind, an empty plan, a negative estimate, a module that does not exist.
  { weight: 2, arbitrary: fc.constantFrom({ kind: 'dance', text: 'x' }, { kind: 'plan', text: 'x', plan: { summary: '', items: [], estimatedMinutes: -1 } }, { kind: 'plan', text: 'x', plan: { summary: 's', items: [{ module: 'legal', text: 't' }], estimatedMinutes: 1 } }) },
);
const advisorPlan = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ summary: 'Write the notes file', tasks: [{ title: 'Write notes', instructions: 'Create notes/fuzz.md', complexity: 'simple' }] }) },
  { weight: 1, arbitrary: raw },
  { weight: 1, arbitrary: fc.constantFrom({ summary: 42 }, { tasks: 'all of them' }, {}) },
);
const task = (id: string, dependsOn: string[] = []) => ({ id, title: `Task ${id}`, instructions: 'Create notes/fuzz.md', module: 'code', tier: 'A', dependsOn });
const graph = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ tasks: [task('write')] }) },
  { weight: 1, arbitrary: raw },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      { tasks: [] },
      { tasks: [task('write', ['write'])] },
      { tasks: [task('write', ['ghost'])] },
      { tasks: [task('a', ['b']), task('b', ['a'])] },
      { tasks: [task('write'), task('write')] },
      { tasks: [{ ...task('write'), tier: 'Z' }] },
      { tasks: [{ ...task('Bad Id!') }] },
    ),
  },
);
const toolCall = fc.oneof(
  fc.constant({ tool: 'write_file', input: { path: 'notes/fuzz.md', content: '# fuzz\n' } }),
  fc.constantFrom(
    { tool: 'rm_rf', input: { path: '/' } },
    { tool: 'write_file', input: { path: 42 } },
    { tool: 'write_file', input: { path: '../../outside.md', content: 'x' } },
    { tool: 'read_file', input: {} },
    { tool: 'execute_command', input: { command: ['not', 'a', 'string'] } },
    { tool: 'finish', input: { summary: 7 } },
    { say: 'I am thinking about it.' },
  ),
);
const agentScript = fc.tuple(fc.array(toolCall, { maxLength: 4 }), fc.boolean()).map(([steps, finishes]) => (finishes ? [...steps, { tool: 'finish', input: { summary: 'Done' } }] : steps));

const scenarioArb = fc.record({
  assist: fc.array(assistReply, { minLength: 1, maxLength: 3 }),
  advisor: fc.array(advisorPlan, { minLength: 1, maxLength: 2 }),
  orchestrator: fc.array(graph, { minLength: 1, maxLength: 2 }),
  agent: agentScript,
});

describe('model output fuzzing: nonsense from any role ends in plain words, with nothing half-written', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let projectId: string;
  const scenarios: Scenario[] = [];

  beforeAll(async () => {
    // Scenarios are generated up front (seeded), so one worker serves them all; run i matches "fuzz<i> ...".
    const generated = fc.sample(scenarioArb, { seed: SEED, numRuns: RUNS });
    generated.forEach((g, i) =>
      scenarios.push(
        scenarioSchema.parse({
          name: `fuzz${i}`,
          match: `^fuzz${i}\\b`,
          assist: g.assist,
          advisors: { code: g.advisor },
          orchestrator: g.orchestrator,
          agents: { write: g.agent },
          followUp: { text: 'The notes are live.' },
        }),
      ),
    );
    h = await startRequestHarness(scenarios, { agentMaxSteps: 6, maxParallelTasks: 2 });
    projectId = await h.createProject();
  });
  afterAll(() => h?.stop());

  /** Plays the founder: confirms each plan card and answers each question once, until the request ends. */
  function driveToEnd(conversationId: string, what: string) {
    const answered = new Set<string>();
    const once = async (key: string, url: string, body: object) => {
      if (answered.has(key)) return;
      answered.add(key);
      await h.call('POST', url, body);
    };
    return eventually(
      `${what} to end`,
      async () => {
        const c = await h.conversation(conversationId);
        if (c.status !== 'running') return c;
        if (c.phase === 'awaiting_confirmation' && c.plan) await once(`plan-${c.plan.version}`, `/api/conversations/${conversationId}/confirm`, { planVersion: c.plan.version });
        else if (c.phase === 'assisting' && c.messages.at(-1)?.role === 'assist') await once(`question-${c.messages.length}`, `/api/conversations/${conversationId}/message`, { text: 'The home page.' });
        return undefined;
      },
      90_000,
    );
  }

  it(`keeps every one of ${RUNS} generated requests consistent (seed ${SEED})`, { timeout: RUNS * 60_000 }, async () => {
    const commitsBefore = async () => (await runGit(h.remote.bareDir, ['rev-list', '--count', 'main'])).stdout.trim();
    for (let i = 0; i < scenarios.length; i++) {
      const before = Number(await commitsBefore());
      const { conversationId } = await h.startRequest(projectId, `fuzz${i} please write the notes`);
      const done = await driveToEnd(conversationId, `fuzz${i}`);
      const where = `fuzz${i}: ${JSON.stringify(scenarios[i]).slice(0, 600)}`;
      expect(['completed', 'failed'], where).toContain(done.status);
      if (done.status === 'failed') {
        // Plain words for the founder: no stack trace, no internal error names, not a wall of text.
        expect(done.error, where).toEqual(expect.any(String));
        expect(done.error, where).not.toMatch(/\n\s+at |ApplicationFailure|ZodError|TypeError/);
        expect(done.error!.length, where).toBeLessThan(1_500);
      }
      const events = await h.events(conversationId);
      expect(events.map((e) => e.seq), where).toEqual(events.map((_, k) => k + 1));
      const tasks = await h.database.db.select({ status: agentSessions.status }).from(agentSessions).where(eq(agentSessions.conversationId, conversationId));
      expect(tasks.filter((t) => t.status === 'running' || t.status === 'pending'), where).toEqual([]);
      const deployed = await h.database.db.select().from(deploys).where(eq(deploys.conversationId, conversationId));
      const after = Number(await commitsBefore());
      if (done.outcome === 'tasked') {
        // One commit, unless the work changed nothing (an earlier run already wrote the same file).
        const commit = events.find((e) => e.kind === 'commit');
        expect(after, where).toBe(before + (commit?.payload.empty ? 0 : 1));
        expect(deployed, where).toHaveLength(1);
      } else {
        // Nothing half-way: the remote and the deploy history are as they were.
        expect(after, where).toBe(before);
        expect(deployed, where).toEqual([]);
      }
    }
  });
});
