import type { Scenario } from '../../llm/scenario.js';
import { scenarioSchema } from '../../llm/scenario.js';

const plan = (summary: string) => ({
  kind: 'plan' as const,
  text: 'Here is my plan.',
  plan: { summary, items: [{ module: 'code' as const, text: summary }], estimatedMinutes: 2 },
});

/** A one-task request that writes `file` with `content`; the agent may be slowed down for mid-flight tests. */
export function oneTaskScenario(name: string, opts: { assist?: unknown[]; file?: string; delayMs?: number } = {}): Scenario {
  const file = opts.file ?? `notes/${name}.md`;
  return scenarioSchema.parse({
    name,
    match: `^${name}\\b`,
    assist: opts.assist ?? [plan(`Write ${file}`)],
    advisors: { code: { summary: `Write ${file}`, tasks: [{ title: `Write ${file}`, instructions: `Create ${file}`, complexity: 'simple' }] } },
    orchestrator: [{ tasks: [{ id: 'write', title: `Write ${file}`, instructions: `Create ${file}`, module: 'code', tier: 'A', dependsOn: [] }] }],
    agents: {
      write: [
        { tool: 'write_file', input: { path: file, content: `# ${name}\n` }, delayMs: opts.delayMs },
        { tool: 'finish', input: { summary: `Wrote ${file}` } },
      ],
    },
    followUp: { text: `${file} is live.` },
  });
}

export { plan as planReply };
