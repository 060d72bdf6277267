import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSecrets } from '../lib/redact.js';
import { scenarioSchema } from '../llm/scenario.js';
import { runGit } from '../runtime/git/run-git.js';
import { startRequestHarness } from './helpers/request-harness.js';
import { planReply } from './helpers/scenarios.js';

const PROJECT_TOKEN = 'planted-deploy-token-7Qx91';
const VENDOR_KEY = 'sk-ant-api03-PLANTEDplantedPLANTED0123456789';

const scenario = scenarioSchema.parse({
  name: 'leaky',
  match: '^leaky\\b',
  assist: [planReply('Print some configuration')],
  advisors: { code: { summary: 'x', tasks: [{ title: 'x', instructions: 'x', complexity: 'simple' }] } },
  orchestrator: [{ tasks: [{ id: 'leak', title: 'Leak', instructions: 'x', module: 'code', tier: 'B', dependsOn: [] }] }],
  agents: {
    leak: [
      { say: `Using ${VENDOR_KEY} for this.`, tool: 'execute_command', input: { command: `echo token=${PROJECT_TOKEN}; echo ${VENDOR_KEY}; env` } },
      // The transcript is stored redacted, so this writes the placeholder, never the token.
      { tool: 'write_file', input: { path: 'config.txt', content: `token=${PROJECT_TOKEN}\n` } },
      { tool: 'execute_command', input: { command: 'cat config.txt' } },
      // A key assembled by a command never appears in the transcript, but the change is scanned before commit.
      { tool: 'execute_command', input: { command: "printf 'sk-ant-api03-%s\\n' PLANTEDplantedPLANTED0123456789 > leaked.txt" } },
      { tool: 'finish', input: { summary: 'done' } },
    ],
  },
});

describe('secrets planted in a request', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  beforeAll(async () => {
    registerSecrets([PROJECT_TOKEN]);
    h = await startRequestHarness([scenario]);
  });
  afterAll(() => h?.stop());

  it('never reach the event stream or a commit', async () => {
    const projectId = await h.createProject();
    const before = (await runGit(h.remote.bareDir, ['rev-parse', 'main'])).stdout;
    const { conversationId, done } = await h.runConfirmed(projectId, 'leaky config');

    const events = JSON.stringify(await h.events(conversationId));
    expect(events).not.toContain(PROJECT_TOKEN);
    expect(events).not.toContain(VENDOR_KEY);
    expect(events).toContain('token=[redacted]');
    const cat = (await h.events(conversationId)).find((e) => e.kind === 'agent.tool_result' && e.payload.name === 'execute_command' && String(e.payload.output).startsWith('exit code: 0\ntoken='));
    expect(cat?.payload.output).toContain('token=[redacted]');
    // The command's environment is the sandbox's minimal one: nothing of the worker's own leaks into it.
    expect(events).not.toContain('DATABASE_URL');

    // A change carrying a secret is refused before it is committed; the remote is untouched.
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/looks like a secret/);
    expect((await runGit(h.remote.bareDir, ['rev-parse', 'main'])).stdout).toBe(before);
  });
});
