/**
 * Google Gemini behind the normalized provider interface, through @google/genai's generateContent (the Gemini
 * API with a key, or Vertex AI with project and location). The SDK never retries: Temporal owns retries, so every
 * failure surfaces at once as an LlmError that says whether trying again can help.
 */
import { OAuth2Client } from 'google-auth-library';
import {
  ApiError,
  FinishReason,
  GoogleGenAI,
  type Content,
  type GenerateContentConfig,
  type GenerateContentResponse,
  type GoogleGenAIOptions,
  type Part,
  type Tool,
} from '@google/genai';
import { kindFromStatus, LlmError, parseRetryAfter } from './errors.js';
import type { ContentBlock, LlmMessage, LlmProvider, LlmRequest, LlmResponse, ToolUseBlock } from './types.js';

export type GeminiProviderOptions =
  | { apiKey: string; baseURL?: string }
  | { vertexai: true; project: string; location: string; baseURL?: string; accessToken?: string };

// Gemini may return a call without an id; we then make one from the turn and position, so a retried call with the
// same conversation yields the same ids. Such ids are ours alone and are not sent back to the API.
const LOCAL_ID_PREFIX = 'gemini-local-';

// Gemini 3 rejects replayed function calls that lack the thought signature it issued. The normalized format has no
// field to carry it yet, so replayed calls carry the sentinel Google documents for history it did not produce
// (https://ai.google.dev/gemini-api/docs/thought-signatures). This loses the model's earlier reasoning, not the call.
const SKIP_SIGNATURE = 'skip_thought_signature_validator';

export class GeminiProvider implements LlmProvider {
  readonly name = 'gemini';
  private readonly client: GoogleGenAI;
  private readonly secret: string | undefined;

  constructor(options: GeminiProviderOptions) {
    // No retryOptions: the SDK retries only when they are set (its defaults would retry 408/429/5xx five times).
    const httpOptions = options.baseURL ? { baseUrl: options.baseURL } : undefined;
    // Explicit `vertexai` so GOOGLE_GENAI_USE_VERTEXAI in the environment cannot switch the backend behind our back.
    const sdkOptions: GoogleGenAIOptions =
      'vertexai' in options
        ? {
            vertexai: true,
            project: options.project,
            location: options.location,
            httpOptions,
            // A given token is used as it is; otherwise Google's application default credentials are.
            ...(options.accessToken ? { googleAuthOptions: { authClient: tokenClient(options.accessToken) } } : {}),
          }
        : { vertexai: false, apiKey: options.apiKey, httpOptions };
    this.client = new GoogleGenAI(sdkOptions);
    this.secret = 'apiKey' in options ? options.apiKey : options.accessToken;
  }

  async complete(request: LlmRequest): Promise<LlmResponse> {
    const model = request.model;
    if (!model) throw new LlmError('invalid_request', 'No Gemini model was given for this call (set the tier model).', this.name);
    const config: GenerateContentConfig = {
      systemInstruction: request.system,
      maxOutputTokens: request.maxOutputTokens,
      abortSignal: request.signal,
      tools: toolsOf(request),
      // Google rejects a JSON mime type next to tools on several models; with tools the prompt asks for JSON instead.
      responseMimeType: request.json && !request.tools?.length && !request.webSearch ? 'application/json' : undefined,
    };
    let response: GenerateContentResponse;
    try {
      response = await this.client.models.generateContent({ model, contents: toContents(request.messages), config });
    } catch (error) {
      throw this.toLlmError(error, request.signal);
    }
    const turn = request.messages.filter((m) => m.role === 'assistant').length;
    return fromResponse(response, model, turn);
  }

  private toLlmError(error: unknown, signal: AbortSignal | undefined): LlmError {
    if (error instanceof LlmError) return error;
    if (signal?.aborted || (error instanceof Error && error.name === 'AbortError')) {
      return new LlmError('aborted', 'The Gemini call was cancelled.', this.name, undefined, undefined, { cause: error });
    }
    if (error instanceof ApiError) {
      const { message, retryAfterMs } = readErrorBody(error.message);
      const text = this.redact(`Gemini API error ${error.status}: ${message}`);
      return new LlmError(kindFromStatus(error.status, message), text, this.name, error.status, retryAfterMs, { cause: error });
    }
    const detail = error instanceof Error ? error.message : String(error);
    // Vertex AI signs requests with Application Default Credentials; google-auth-library says "Could not load the
    // default credentials" (a plain Error) when there are none, and no retry will find them.
    if (/default credentials/i.test(detail)) {
      return new LlmError('unauthorized', `Vertex AI credentials are missing: ${detail}`, this.name, undefined, undefined, { cause: error });
    }
    // fetch failures (refused, reset, DNS) carry the reason in `cause`; they are worth another try.
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return new LlmError('unavailable', this.redact(`Could not reach Gemini (${detail}${cause}).`), this.name, undefined, undefined, { cause: error });
  }

  private redact(text: string): string {
    return this.secret ? text.split(this.secret).join('[redacted]') : text;
  }
}

function toolsOf(request: LlmRequest): Tool[] | undefined {
  const tools: Tool[] = [];
  if (request.tools?.length) {
    // parametersJsonSchema takes JSON Schema as-is (additionalProperties and all); `parameters` wants Google's
    // OpenAPI subset and rejects what zod emits.
    tools.push({
      functionDeclarations: request.tools.map((t) => ({ name: t.name, description: t.description, parametersJsonSchema: t.inputSchema })),
    });
  }
  if (request.webSearch) tools.push({ googleSearch: {} });
  return tools.length ? tools : undefined;
}

/** The normalized conversation as Gemini contents; tool results need their call's name, found by id. */
function toContents(messages: LlmMessage[]): Content[] {
  const calls = new Map<string, ToolUseBlock>();
  for (const message of messages) for (const block of message.content) if (block.type === 'tool_use') calls.set(block.id, block);
  const contents: Content[] = [];
  for (const message of messages) {
    let signed = false;
    const parts: Part[] = message.content.map((block): Part => {
      switch (block.type) {
        case 'text':
          return { text: block.text };
        case 'tool_use': {
          const id = block.id.startsWith(LOCAL_ID_PREFIX) ? undefined : block.id;
          const part: Part = { functionCall: { id, name: block.name, args: isRecord(block.input) ? block.input : {} } };
          // Only the first call of a model turn carries a signature (parallel calls share it).
          if (!signed) {
            part.thoughtSignature = SKIP_SIGNATURE;
            signed = true;
          }
          return part;
        }
        case 'tool_result': {
          const name = calls.get(block.toolUseId)?.name;
          if (!name) {
            throw new LlmError('invalid_request', `Tool result ${block.toolUseId} answers no tool call earlier in the conversation.`, 'gemini');
          }
          const id = block.toolUseId.startsWith(LOCAL_ID_PREFIX) ? undefined : block.toolUseId;
          return { functionResponse: { id, name, response: { output: block.content, isError: block.isError } } };
        }
      }
    });
    // Gemini refuses a turn without parts (e.g. an empty model reply recorded in the history).
    if (parts.length) contents.push({ role: message.role === 'assistant' ? 'model' : 'user', parts });
  }
  return contents;
}

function fromResponse(response: GenerateContentResponse, model: string, turn: number): LlmResponse {
  const candidate = response.candidates?.[0];
  const content: ContentBlock[] = [];
  let calls = 0;
  for (const part of candidate?.content?.parts ?? []) {
    // Thought summaries are the model's scratch work, not its answer.
    if (part.thought) continue;
    if (part.functionCall) {
      const name = part.functionCall.name ?? '';
      const id = part.functionCall.id ?? `${LOCAL_ID_PREFIX}${turn}-${calls}-${name}`;
      content.push({ type: 'tool_use', id, name, input: part.functionCall.args ?? {} });
      calls += 1;
    } else if (typeof part.text === 'string' && part.text.length > 0) {
      content.push({ type: 'text', text: part.text });
    }
  }
  const finish = candidate?.finishReason;
  const stopReason: LlmResponse['stopReason'] =
    calls > 0 ? 'tool_use' : finish === FinishReason.STOP ? 'end_turn' : finish === FinishReason.MAX_TOKENS ? 'max_tokens' : 'other';

  const usage = response.usageMetadata;
  const cachedTokens = usage?.cachedContentTokenCount ?? 0;
  // Search results fed to the model (toolUsePromptTokenCount) are billed as input but not counted in the prompt.
  const inputTokens = Math.max(0, (usage?.promptTokenCount ?? 0) - cachedTokens) + (usage?.toolUsePromptTokenCount ?? 0);
  const outputTokens = (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0);

  const sources: Array<{ url: string; title?: string }> = [];
  for (const chunk of candidate?.groundingMetadata?.groundingChunks ?? []) {
    const uri = chunk.web?.uri;
    if (uri && !sources.some((s) => s.url === uri)) sources.push(chunk.web?.title ? { url: uri, title: chunk.web.title } : { url: uri });
  }

  return {
    content,
    stopReason,
    usage: { inputTokens, outputTokens, cachedTokens },
    provider: 'gemini',
    // The configured id rather than response.modelVersion, so cost tables keyed by tier model find it.
    model,
    scripted: false,
    ...(sources.length ? { sources } : {}),
  };
}

/**
 * The human message and RetryInfo delay from an ApiError, whose message is the JSON error body. The SDK does not
 * expose response headers on errors, so Google's RetryInfo ("7s") is the only wait hint we can read.
 */
function readErrorBody(raw: string): { message: string; retryAfterMs?: number } {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { message: raw };
  }
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  if (!error) return { message: raw };
  const status = typeof error.status === 'string' ? `${error.status}: ` : '';
  const message = `${status}${typeof error.message === 'string' ? error.message : raw}`;
  const details = Array.isArray(error.details) ? error.details : [];
  const retry = details.find((d): d is Record<string, unknown> => isRecord(d) && String(d['@type']).endsWith('google.rpc.RetryInfo'));
  const delay = typeof retry?.retryDelay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(retry.retryDelay) : null;
  return { message, retryAfterMs: delay ? parseRetryAfter(delay[1]) : undefined };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A Google auth client that presents one access token (for a token minted elsewhere, and for tests). */
function tokenClient(accessToken: string): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: accessToken, expiry_date: Date.now() + 55 * 60_000 });
  return client;
}
