/**
 * The Anthropic provider: translates the normalized conversation to the Messages API and back, with prompt
 * caching on the stable prefix (tools and system prompt) and Anthropic's server-side web search. The SDK never
 * retries: a failed call becomes an LlmError and Temporal decides whether and when to try again.
 */
import { AnthropicVertex } from '@anthropic-ai/vertex-sdk';
import { OAuth2Client } from 'google-auth-library';
import Anthropic, { AnthropicError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type {
  ContentBlock as WireContentBlock,
  ContentBlockParam,
  Message,
  MessageCreateParamsNonStreaming,
  MessageParam,
  TextBlockParam,
  ToolUnion,
} from '@anthropic-ai/sdk/resources/messages/messages';
import { kindFromStatus, LlmError, parseRetryAfter } from './errors.js';
import type { ContentBlock, LlmMessage, LlmProvider, LlmRequest, LlmResponse, ToolSpec } from './types.js';

const PROVIDER = 'anthropic';
const DEFAULT_MAX_OUTPUT_TOKENS = 8192;
const DEFAULT_BASE_URL = 'https://api.anthropic.com';
// The SDK's own default; passing it explicitly also stops the SDK refusing large non-streaming max_tokens.
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
const EPHEMERAL = { type: 'ephemeral' } as const;

/** Kept apart from the cached system block so JSON and free-text calls share one cached prefix. */
export const JSON_INSTRUCTION =
  'Reply with exactly one JSON object and nothing else: no prose before or after it, no Markdown code fences.';

/** Anthropic's server-side web search, at most five searches per call. */
export const WEB_SEARCH_TOOL = { type: 'web_search_20250305', name: 'web_search', max_uses: 5 } as const;

export type AnthropicProviderOptions = {
  apiKey?: string;
  /**
   * Claude on Google Vertex AI instead of Anthropic's API (the seed's setup). Without an access token the
   * client uses Google's application default credentials.
   */
  vertex?: { projectId: string; region: string; accessToken?: string };
  /** Defaults to the public API; tests point it at a local fake. The environment is never read here. */
  baseURL?: string;
  /** Only 0 is accepted: Temporal owns retries, the SDK must not add its own. */
  maxRetries?: 0;
  /** Per HTTP call; the activity's start-to-close timeout is the real bound. */
  timeoutMs?: number;
};

export class AnthropicProvider implements LlmProvider {
  readonly name = PROVIDER;
  /** Only `messages.create` is used; the Vertex client's messages resource has that and no batches. */
  private readonly client: { messages: Pick<Anthropic['messages'], 'create'> };
  private readonly apiKey: string;

  constructor(options: AnthropicProviderOptions) {
    const common = { maxRetries: 0, timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS };
    if (options.vertex) {
      this.apiKey = options.vertex.accessToken ?? '';
      this.client = new AnthropicVertex({
        ...common,
        projectId: options.vertex.projectId,
        region: options.vertex.region,
        // A given token is used as it is; otherwise Google's application default credentials are.
        ...(options.vertex.accessToken ? { authClient: tokenClient(options.vertex.accessToken) } : {}),
        ...(options.baseURL ? { baseURL: options.baseURL } : {}),
      });
      return;
    }
    if (!options.apiKey) throw new LlmError('unauthorized', 'The Anthropic API key is empty.', PROVIDER);
    this.apiKey = options.apiKey;
    this.client = new Anthropic({ ...common, apiKey: options.apiKey, baseURL: options.baseURL ?? DEFAULT_BASE_URL });
  }

  async complete(request: LlmRequest): Promise<LlmResponse> {
    if (!request.model) {
      throw new LlmError('invalid_request', `No Anthropic model is configured for the ${request.tier} tier.`, PROVIDER);
    }
    let message: Message;
    try {
      message = await this.client.messages.create(toWireRequest({ ...request, model: request.model }), {
        signal: request.signal,
      });
    } catch (error) {
      throw this.toLlmError(error);
    }
    return fromWireMessage(message);
  }

  /** The SDK's failure as an LlmError; the key is scrubbed in case a message or proxy ever echoes it. */
  private toLlmError(error: unknown): unknown {
    const scrub = (text: string) => text.split(this.apiKey).join('[redacted]');
    if (error instanceof APIUserAbortError) {
      return new LlmError('aborted', 'The Anthropic call was cancelled.', PROVIDER, undefined, undefined, { cause: error });
    }
    if (error instanceof APIError) {
      // APIConnectionError (and its timeout subclass) has no status: kindFromStatus calls that unavailable.
      const status = typeof error.status === 'number' ? error.status : undefined;
      const detail = scrub(error.apiMessage ?? error.message);
      const kind = kindFromStatus(status, detail);
      const label = status ? `Anthropic API ${status}${error.type ? ` ${error.type}` : ''}` : 'Anthropic API connection failed';
      return new LlmError(kind, `${label}: ${detail}`, PROVIDER, status, retryAfterOf(error.headers), { cause: error });
    }
    if (error instanceof AnthropicError) {
      // Raised by the SDK before any HTTP call (bad options, unresolvable credentials): retrying cannot help.
      return new LlmError('invalid_request', `Anthropic SDK: ${scrub(error.message)}`, PROVIDER, undefined, undefined, { cause: error });
    }
    return error;
  }
}

function retryAfterOf(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  return parseRetryAfter(headers?.get('retry-after'));
}

/** The Messages API request for a normalized one (exported for unit tests and debugging). */
export function toWireRequest(request: LlmRequest & { model: string }): MessageCreateParamsNonStreaming {
  const system: TextBlockParam[] = [];
  if (request.system) system.push({ type: 'text', text: request.system, cache_control: EPHEMERAL });
  if (request.json) system.push({ type: 'text', text: JSON_INSTRUCTION });

  const tools: ToolUnion[] = (request.tools ?? []).map(toWireTool);
  if (request.webSearch) tools.push({ ...WEB_SEARCH_TOOL });
  const last = tools.at(-1);
  if (last) tools[tools.length - 1] = { ...last, cache_control: EPHEMERAL } as ToolUnion;

  return {
    model: request.model,
    max_tokens: request.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    ...(system.length > 0 ? { system } : {}),
    messages: request.messages.map(toWireMessage),
    ...(tools.length > 0 ? { tools } : {}),
  };
}

function toWireTool(tool: ToolSpec): ToolUnion {
  return {
    name: tool.name,
    description: tool.description,
    input_schema: { type: 'object', ...tool.inputSchema },
  };
}

function toWireMessage(message: LlmMessage): MessageParam {
  // The API rejects empty text blocks; an empty one next to a tool call carries nothing anyway.
  const nonEmpty = message.content.filter((b) => b.type !== 'text' || b.text.length > 0);
  const blocks = nonEmpty.length > 0 ? nonEmpty : message.content;
  return { role: message.role, content: blocks.map(toWireBlock) };
}

function toWireBlock(block: ContentBlock): ContentBlockParam {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'tool_use':
      return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
    case 'tool_result':
      return { type: 'tool_result', tool_use_id: block.toolUseId, content: block.content, is_error: block.isError };
  }
}

/** The normalized response for a Messages API reply; server tool blocks become `sources`, not tool calls. */
export function fromWireMessage(message: Message): LlmResponse {
  const content: ContentBlock[] = [];
  const sources = new Map<string, { url: string; title?: string }>();
  const addSource = (url: string, title: string | null | undefined) => {
    if (!sources.has(url) || (title && !sources.get(url)?.title)) sources.set(url, title ? { url, title } : { url });
  };
  for (const block of message.content as WireContentBlock[]) {
    if (block.type === 'text') {
      content.push({ type: 'text', text: block.text });
      for (const citation of block.citations ?? []) {
        if (citation.type === 'web_search_result_location') addSource(citation.url, citation.title);
      }
    } else if (block.type === 'tool_use') {
      content.push({ type: 'tool_use', id: block.id, name: block.name, input: block.input });
    } else if (block.type === 'web_search_tool_result' && Array.isArray(block.content)) {
      for (const result of block.content) addSource(result.url, result.title);
    }
  }
  const usage = message.usage;
  return {
    content,
    stopReason: stopReasonOf(message.stop_reason),
    usage: {
      inputTokens: usage.input_tokens + (usage.cache_creation_input_tokens ?? 0),
      cachedTokens: usage.cache_read_input_tokens ?? 0,
      outputTokens: usage.output_tokens,
    },
    provider: PROVIDER,
    model: message.model,
    scripted: false,
    ...(sources.size > 0 ? { sources: [...sources.values()] } : {}),
  };
}

function stopReasonOf(reason: Message['stop_reason']): LlmResponse['stopReason'] {
  return reason === 'end_turn' || reason === 'tool_use' || reason === 'max_tokens' ? reason : 'other';
}

/** A Google auth client that presents one access token (for a token minted elsewhere, and for tests). */
function tokenClient(accessToken: string): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: accessToken, expiry_date: Date.now() + 55 * 60_000 });
  return client;
}
