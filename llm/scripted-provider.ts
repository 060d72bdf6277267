/**
 * The scripted provider: plays scenarios behind the same interface as the real vendors, so the offline demo
 * and the tests exercise the whole product. Every response says `scripted: true`.
 */
import { NOTHING_TO_REMEMBER } from '../core/memory.js';
import type { AgentStep, Scenario } from './scenario.js';
import type { ContentBlock, LlmProvider, LlmRequest, LlmResponse } from './types.js';

const FALLBACK_ANSWER = {
  kind: 'answer',
  text: 'This is the scripted demo (no AI model is configured). Try: "Add a referral program".',
};

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}

export class ScriptedProvider implements LlmProvider {
  readonly name = 'scripted';

  constructor(private readonly scenarios: Scenario[]) {}

  async complete(request: LlmRequest): Promise<LlmResponse> {
    const { scenario, content, delayMs } = scriptedReply(this.scenarios, request);
    if (delayMs) await sleep(delayMs, request.signal);
    const output = JSON.stringify(content).length;
    return {
      content,
      stopReason: content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn',
      usage: { inputTokens: Math.ceil(JSON.stringify(request.messages).length / 4), outputTokens: Math.ceil(output / 4), cachedTokens: 0 },
      provider: this.name,
      model: scenario ? `scenario:${scenario.name}` : 'scenario:none',
      scripted: true,
    };
  }
}

/**
 * The scripted answer to a request, without waiting: the scenario whose `match` fits the founder's request
 * (the first one wins), and its reply for this role and turn. Turn n of a role is answered by its nth
 * scripted reply, counted from the conversation itself, so a retried call replays the same answer.
 */
export function scriptedReply(scenarios: Scenario[], request: LlmRequest): { scenario?: Scenario; content: ContentBlock[]; delayMs?: number } {
  const scenario = scenarios.find((s) => new RegExp(s.match, 'i').test(request.meta.requestText));
  const turn = request.messages.filter((m) => m.role === 'assistant').length;
  if (request.role === 'agent') {
    const step = scenario ? agentSteps(scenario, request)[turn] : undefined;
    if (!step) return { scenario, content: [{ type: 'text', text: '(scripted agent: no more steps)' }] };
    return { scenario, content: stepContent(step, `scripted-${request.meta.taskId}-${request.meta.attempt ?? 1}-${turn}`), delayMs: step.delayMs };
  }
  const advisorStep = scenario && request.role === 'advisor' ? advisorToolSteps(scenario, request)[turn] : undefined;
  if (advisorStep) return { scenario, content: stepContent(advisorStep, `scripted-${request.meta.module}-${turn}`), delayMs: advisorStep.delayMs };
  const reply = scenario ? structuredReply(scenario, request, turn) : request.role === 'memory' ? NOTHING_TO_REMEMBER : FALLBACK_ANSWER;
  // `{"$raw": "..."}` is sent verbatim, so a scenario can script output that is not JSON at all.
  const raw = (reply as { $raw?: unknown } | null)?.$raw;
  const delayMs = request.role === 'assist' ? scenario?.assistDelayMs : undefined;
  return { scenario, content: [{ type: 'text', text: typeof raw === 'string' ? raw : JSON.stringify(reply) }], delayMs };
}

function structuredReply(scenario: Scenario, request: LlmRequest, turn: number): unknown {
  switch (request.role) {
    case 'assist':
      return scenario.assist[turn] ?? { kind: 'answer', text: 'The scripted demo has nothing more to add.' };
    case 'advisor': {
      const plans = scenario.advisors[request.meta.module as keyof Scenario['advisors']];
      const list = Array.isArray(plans) ? plans : plans ? [plans] : [];
      // Turns spent on scripted tool calls come first; the plans answer the turns after them.
      const answerTurn = Math.max(turn - advisorToolSteps(scenario, request).length, 0);
      return list[Math.min(answerTurn, list.length - 1)] ?? { summary: 'Nothing scripted for this advisor.', tasks: [] };
    }
    case 'orchestrator':
      return scenario.orchestrator[Math.min(turn, scenario.orchestrator.length - 1)] ?? { tasks: [] };
    case 'followup':
      return scenario.followUp ?? { text: 'The scripted demo finished its work.' };
    case 'memory':
      return scenario.memory ?? NOTHING_TO_REMEMBER;
    default:
      return FALLBACK_ANSWER;
  }
}

function agentSteps(scenario: Scenario, request: LlmRequest): AgentStep[] {
  const script = scenario.agents[request.meta.taskId ?? ''];
  if (!script) return [];
  return Array.isArray(script) ? script : (script[request.tier] ?? []);
}

/** An advisor's scripted tool calls, made on its first turns (its reading loop). */
function advisorToolSteps(scenario: Scenario, request: LlmRequest): AgentStep[] {
  return scenario.advisorTools[request.meta.module as keyof Scenario['advisorTools']] ?? [];
}

function stepContent(step: AgentStep, toolUseId: string): ContentBlock[] {
  const content: ContentBlock[] = [];
  if (step.say) content.push({ type: 'text', text: step.say });
  if (step.tool) content.push({ type: 'tool_use', id: toolUseId, name: step.tool, input: step.input ?? {} });
  return content;
}
