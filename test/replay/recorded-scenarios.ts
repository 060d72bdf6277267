/**
 * The scripts the history recorder plays: one scenario per path through the request workflow, matched by the
 * first word of the request text (`<name> ...`). Delays are only there to hold a step in flight while the
 * recorder stops the request at it.
 */
import { scenarioSchema, type Scenario } from '../../llm/scenario.js';
import { oneTaskScenario, planReply } from '../helpers/scenarios.js';

/** Long enough for the recorder to see the step in flight and stop it; a stopped step is aborted at once. */
const HELD_MS = 20_000;

const write = (id: string) => [
  { tool: 'write_file', input: { path: `graph/${id}.txt`, content: `${id}\n` } },
  { tool: 'finish', input: { summary: `wrote ${id}` } },
];
const task = (id: string, dependsOn: string[] = [], tier = 'A') => ({ id, title: `Task ${id}`, instructions: `Write graph/${id}.txt`, module: 'code', tier, dependsOn });
const oneAdvisor = { code: { summary: 'x', tasks: [{ title: 'x', instructions: 'x', complexity: 'simple' }] } };
const README_LINE = '# Acme Notes';

/** Ten tasks in four layers, one of which fails on tier A and is done on tier B. */
const TEN_TASKS = [
  task('t01'),
  task('t02'),
  task('t03'),
  task('t04', ['t01']),
  task('t05', ['t01', 't02']),
  task('t06', ['t03']),
  task('t07', ['t04', 't05']),
  task('t08', ['t06']),
  task('t09', ['t07', 't08']),
  task('flaky', ['t02']),
];

export const recordedScenarios: Scenario[] = [
  oneTaskScenario('answer', { assist: [{ kind: 'answer', text: 'Signups are up 12% this week.' }] }),
  // Assist takes its time, so the founder's message arrives while it thinks and is taken up after its answer.
  scenarioSchema.parse({
    ...oneTaskScenario('message-after-answer'),
    assist: [
      { kind: 'answer', text: 'Signups are up 12% this week.' },
      { kind: 'answer', text: 'Most of them came from the newsletter.' },
    ],
    assistDelayMs: 2_000,
  }),
  oneTaskScenario('question', { assist: [{ kind: 'question', text: 'Who is this for?' }, planReply('Write it for founders')] }),
  oneTaskScenario('tasked'),
  oneTaskScenario('revise', { assist: [planReply('Write the long version'), planReply('Write the short version')] }),
  oneTaskScenario('decline'),
  oneTaskScenario('deferred'),
  oneTaskScenario('stop-assisting', { assist: [{ kind: 'question', text: 'Who is this for?' }] }),
  oneTaskScenario('stop-awaiting-confirmation'),
  // The advisor's first reading round returns at once (its llm_calls row shows it); the second is held.
  scenarioSchema.parse({
    ...oneTaskScenario('stop-planning'),
    advisorTools: { code: [{ tool: 'list_files', input: {} }, { tool: 'list_files', input: {}, delayMs: HELD_MS }] },
  }),
  oneTaskScenario('stop-executing', { delayMs: HELD_MS }),
  // Held by its project's deploy command (see the recorder), not by a script.
  oneTaskScenario('stop-integrating'),
  scenarioSchema.parse({
    name: 'failed',
    match: '^failed\\b',
    assist: [planReply('Build what cannot be built')],
    advisors: oneAdvisor,
    // `doomed` has no script on tier B nor C: it fails twice, and its dependents are skipped.
    orchestrator: [{ tasks: [task('ok'), task('doomed', [], 'B'), task('after', ['doomed'])] }],
    agents: { ok: write('ok'), after: write('after') },
  }),
  scenarioSchema.parse({
    name: 'invalid-graph',
    match: '^invalid-graph\\b',
    assist: [planReply('Loop forever')],
    advisors: oneAdvisor,
    orchestrator: [{ tasks: [task('a', ['b']), task('b', ['a'])] }, { tasks: [task('a', ['zzz'])] }],
  }),
  scenarioSchema.parse({
    name: 'graph10',
    match: '^graph10\\b',
    assist: [planReply('Build the ten-task graph')],
    advisors: oneAdvisor,
    orchestrator: [{ tasks: TEN_TASKS }],
    agents: { ...Object.fromEntries(TEN_TASKS.filter((t) => t.id !== 'flaky').map((t) => [t.id, write(t.id)])), flaky: { B: write('flaky') } },
    followUp: { text: 'The graph is live.' },
  }),
  scenarioSchema.parse({
    name: 'conflict',
    match: '^conflict\\b',
    assist: [planReply('Two edits to the same line')],
    advisors: oneAdvisor,
    orchestrator: [{ tasks: [task('first'), task('second')] }],
    agents: {
      first: [
        { tool: 'edit_file', input: { path: 'README.md', old_text: README_LINE, new_text: '# Acme Notes, calm and fast' } },
        { tool: 'finish', input: { summary: 'first title' } },
      ],
      // Tier A edits the same line after `first` is merged (its merge conflicts); tier B resolves it.
      second: {
        A: [
          { tool: 'edit_file', input: { path: 'README.md', old_text: README_LINE, new_text: '# Acme Notes for teams' }, delayMs: 1_500 },
          { tool: 'finish', input: { summary: 'second title' } },
        ],
        B: [
          { tool: 'execute_command', input: { command: "sed -i '/^<<<<<<< /,/^>>>>>>> /c\\\\# Acme Notes, calm and fast, for teams' README.md" } },
          { tool: 'finish', input: { summary: 'both titles kept' } },
        ],
      },
    },
    followUp: { text: 'Done.' },
  }),
];
