import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarioSchema } from '../llm/scenario.js';
import { startRequestHarness } from './helpers/request-harness.js';
import { planReply } from './helpers/scenarios.js';

const failing = "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\ntest('sum', () => assert.equal(1 + 1, 3));\n";
const passing = "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\ntest('sum', () => assert.equal(1 + 1, 2));\n";

const scenario = scenarioSchema.parse({
  name: 'checks',
  match: '^checks\\b',
  assist: [planReply('Add a sum test')],
  advisors: { code: { summary: 'x', tasks: [{ title: 'x', instructions: 'x', complexity: 'simple' }] } },
  orchestrator: [{ tasks: [{ id: 'sum', title: 'Sum test', instructions: 'Add test/sum.test.js', module: 'code', tier: 'A', dependsOn: [] }] }],
  agents: {
    sum: [
      { tool: 'write_file', input: { path: 'test/sum.test.js', content: failing } },
      { tool: 'finish', input: { summary: 'Added a sum test' } },
      { say: 'The test check failed; fixing the expectation.', tool: 'write_file', input: { path: 'test/sum.test.js', content: passing } },
      { tool: 'finish', input: { summary: 'Added a sum test' } },
    ],
  },
  followUp: { text: 'Done, tests pass.' },
});

describe("the project's checks", () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  beforeAll(async () => {
    h = await startRequestHarness([scenario]);
  });
  afterAll(() => h?.stop());

  it('refuse a finish while the tests fail, hand the agent the output, and accept it once they pass', async () => {
    const projectId = await h.createProject();
    const { conversationId, done } = await h.runConfirmed(projectId, 'checks please');
    expect(done).toMatchObject({ status: 'completed', outcome: 'tasked' });

    const events = await h.events(conversationId);
    expect(events.filter((e) => e.kind === 'check.result').map((e) => [e.payload.name, e.payload.ok])).toEqual([
      ['test', false],
      ['test', true],
    ]);
    const finishes = events.filter((e) => e.kind === 'agent.tool_result' && e.payload.name === 'finish');
    expect(finishes[0]!.payload).toMatchObject({ isError: true, checksFailed: true, output: expect.stringMatching(/the test check \(`npm test`\) failed[\s\S]*not ok \d+ - sum/) });
    expect(finishes[1]!.payload).toMatchObject({ isError: false, output: expect.stringMatching(/Checks passed: test/) });
  });
});
