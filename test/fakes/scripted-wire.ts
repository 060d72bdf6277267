/**
 * Serves a scripted scenario over the vendors' wire formats: the fake Anthropic and Gemini servers answer
 * the real SDK clients with what the scenario says, so a whole request runs through the real providers.
 * The role is recognised from the system prompt the product sends, the task from its instructions.
 */
import { prompt } from '../../activities/prompts/index.js';
import type { Scenario } from '../../llm/scenario.js';
import { scriptedReply } from '../../llm/scripted-provider.js';
import type { ContentBlock, LlmMessage, LlmRole } from '../../llm/types.js';
import type { FakeReply as AnthropicReply } from './anthropic-server.js';
import type { FakeReply as GeminiReply, GenerateContentBody } from './gemini-server.js';

const ROLES = ['assist', 'advisor', 'orchestrator', 'agent', 'followup', 'memory'] as const;

/** Tokens every fake reply reports, so costs can be checked exactly. */
export const WIRE_USAGE = { input: 1_000, output: 200, cached: 500 };

function roleOf(system: string): LlmRole {
  const role = ROLES.find((r) => system.startsWith(prompt(r).slice(0, 60)));
  if (!role) throw new Error(`unrecognised system prompt: ${system.slice(0, 80)}`);
  return role;
}

function scripted(scenario: Scenario, system: string, assistantTurns: number, firstUserText: string): ContentBlock[] {
  const role = roleOf(system);
  const graph = scenario.orchestrator.at(-1) as { tasks?: Array<{ id: string; title: string }> } | undefined;
  const taskId = role === 'agent' ? graph?.tasks?.find((t) => firstUserText.startsWith(`Task: ${t.title}`))?.id : undefined;
  const module = role === 'advisor' ? /You are the (\w+) advisor/.exec(system)?.[1] : undefined;
  const messages: LlmMessage[] = Array.from({ length: assistantTurns }, () => ({ role: 'assistant', content: [] }));
  return scriptedReply([scenario], { role, tier: 'B', system, messages, meta: { requestText: scenario.match, taskId, module } }).content;
}

export function anthropicResponder(scenario: Scenario) {
  return (body: Record<string, unknown>): AnthropicReply => {
    const system = ((body.system as Array<{ text: string }>) ?? []).map((b) => b.text).join('\n');
    const messages = body.messages as Array<{ role: string; content: string | Array<{ type: string; text?: string }> }>;
    const first = messages[0]?.content;
    const firstText = typeof first === 'string' ? first : (first?.find((b) => b.type === 'text')?.text ?? '');
    const content = scripted(scenario, system, messages.filter((m) => m.role === 'assistant').length, firstText);
    return {
      content: content.map((b) =>
        b.type === 'tool_use' ? { type: 'tool_use', id: b.id, name: b.name, input: b.input } : { type: 'text', text: b.type === 'text' ? b.text : '' },
      ),
      stop_reason: content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn',
      usage: { input_tokens: WIRE_USAGE.input, output_tokens: WIRE_USAGE.output, cache_read_input_tokens: WIRE_USAGE.cached, cache_creation_input_tokens: 0 },
    };
  };
}

export function geminiResponder(scenario: Scenario) {
  return (body: GenerateContentBody): GeminiReply => {
    const system = (body.systemInstruction?.parts ?? []).map((p) => p.text ?? '').join('\n');
    const contents = body.contents ?? [];
    const firstText = String(contents[0]?.parts?.find((p) => typeof p.text === 'string')?.text ?? '');
    const content = scripted(scenario, system, contents.filter((c) => c.role === 'model').length, firstText);
    return {
      parts: content.map((b) =>
        b.type === 'tool_use' ? { functionCall: { name: b.name, args: b.input as Record<string, unknown> } } : { text: b.type === 'text' ? b.text : '' },
      ),
      finishReason: 'STOP',
      usageMetadata: {
        promptTokenCount: WIRE_USAGE.input + WIRE_USAGE.cached,
        cachedContentTokenCount: WIRE_USAGE.cached,
        candidatesTokenCount: WIRE_USAGE.output,
        totalTokenCount: WIRE_USAGE.input + WIRE_USAGE.cached + WIRE_USAGE.output,
      },
    };
  };
}
