/**
 * One normalized conversation format for every model vendor (and the scripted stand-in): text, tool calls,
 * tool results, stop reasons and usage. Providers translate to and from their wire formats.
 */
import type { Tier } from '../core/plan.js';

export type LlmRole = 'assist' | 'advisor' | 'orchestrator' | 'agent' | 'followup' | 'memory';

export type TextBlock = { type: 'text'; text: string };
export type ToolUseBlock = { type: 'tool_use'; id: string; name: string; input: unknown };
export type ToolResultBlock = { type: 'tool_result'; toolUseId: string; content: string; isError: boolean };
export type ContentBlock = TextBlock | ToolUseBlock | ToolResultBlock;

export type LlmMessage = { role: 'user' | 'assistant'; content: ContentBlock[] };

export type ToolSpec = { name: string; description: string; inputSchema: Record<string, unknown> };

export type LlmRequest = {
  role: LlmRole;
  tier: Tier;
  system: string;
  messages: LlmMessage[];
  tools?: ToolSpec[];
  /** Ask for a single JSON object as the reply. */
  json?: boolean;
  /** The vendor's model id; the tier router fills it in from TIER_X_MODEL. */
  model?: string;
  /** Let the model use the vendor's own web search (Anthropic's web search tool, Gemini's Google Search). */
  webSearch?: boolean;
  maxOutputTokens?: number;
  signal?: AbortSignal;
  /** Where the call sits in the product; the scripted provider picks its script from it. */
  meta: { requestText: string; module?: string; taskId?: string; attempt?: number };
};

/** Token counts; `inputTokens` excludes `cachedTokens` (read from the vendor's prompt cache, billed lower). */
export type Usage = { inputTokens: number; outputTokens: number; cachedTokens: number };

export type LlmResponse = {
  content: ContentBlock[];
  stopReason: 'end_turn' | 'tool_use' | 'max_tokens' | 'other';
  usage: Usage;
  provider: string;
  model: string;
  /** True when the answer was played from a script, not produced by a model: shown as such everywhere. */
  scripted: boolean;
  /** Web pages the vendor's search tool consulted, so the founder can see where a claim came from. */
  sources?: Array<{ url: string; title?: string }>;
};

export interface LlmProvider {
  readonly name: string;
  complete(request: LlmRequest): Promise<LlmResponse>;
}

export function textOf(content: ContentBlock[]): string {
  return content
    .filter((b): b is TextBlock => b.type === 'text')
    .map((b) => b.text)
    .join('');
}

export function toolUsesOf(content: ContentBlock[]): ToolUseBlock[] {
  return content.filter((b): b is ToolUseBlock => b.type === 'tool_use');
}
