import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { googleError, retryInfo, startFakeGemini, type FakeGemini } from '../test/fakes/gemini-server.js';
import { LlmError } from './errors.js';
import { GeminiProvider } from './gemini-provider.js';
import type { LlmRequest, ToolUseBlock } from './types.js';

const API_KEY = 'AIzaTEST-secret-key-0123456789';
const MODEL = 'gemini-test-flash';

let fake: FakeGemini;
let provider: GeminiProvider;

beforeAll(async () => {
  fake = await startFakeGemini();
  provider = new GeminiProvider({ apiKey: API_KEY, baseURL: fake.baseURL });
});
afterAll(async () => fake.close());
beforeEach(() => fake.reset());

function request(overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    role: 'assist',
    tier: 'A',
    system: 'You are VIBN.',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
    model: MODEL,
    meta: { requestText: 'Hello' },
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<LlmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LlmError);
  return error as LlmError;
}

describe('GeminiProvider', () => {
  it('answers with text and maps usage, counting cached and thinking tokens apart', async () => {
    fake.enqueue({
      parts: [{ text: 'thinking…', thought: true }, { text: 'Hi, ' }, { text: 'founder.' }],
      usageMetadata: { promptTokenCount: 120, cachedContentTokenCount: 100, candidatesTokenCount: 7, thoughtsTokenCount: 3 },
    });
    const response = await provider.complete(request());

    expect(response.content).toEqual([
      { type: 'text', text: 'Hi, ' },
      { type: 'text', text: 'founder.' },
    ]);
    expect(response).toMatchObject({ stopReason: 'end_turn', provider: 'gemini', model: MODEL, scripted: false });
    expect(response.usage).toEqual({ inputTokens: 20, outputTokens: 10, cachedTokens: 100 });

    const sent = fake.requests[0]!;
    expect(sent.model).toBe(MODEL);
    expect(sent.path).toBe(`/v1beta/models/${MODEL}:generateContent`);
    expect(sent.headers['x-goog-api-key']).toBe('present');
    expect(sent.body.systemInstruction?.parts?.[0]?.text).toBe('You are VIBN.');
    expect(sent.body.contents).toEqual([{ role: 'user', parts: [{ text: 'Hello' }] }]);
  });

  it('refuses a call without a model', async () => {
    const error = await failure(provider.complete(request({ model: undefined })));
    expect(error.kind).toBe('invalid_request');
    expect(fake.requests).toHaveLength(0);
  });

  it('round-trips a tool call: functionCall out, functionResponse with the right name back', async () => {
    const inputSchema = { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false };
    const tools = [{ name: 'read_file', description: 'Read a file', inputSchema }];
    fake.enqueue({ parts: [{ text: 'Let me look.' }, { functionCall: { name: 'read_file', args: { path: 'README.md' } } }] });

    const first = await provider.complete(request({ role: 'agent', tools }));
    expect(first.stopReason).toBe('tool_use');
    const call = first.content.find((b): b is ToolUseBlock => b.type === 'tool_use')!;
    expect(call).toMatchObject({ name: 'read_file', input: { path: 'README.md' } });
    const declarations = fake.requests[0]!.body.tools?.[0]?.functionDeclarations as Array<Record<string, unknown>>;
    expect(declarations[0]).toEqual({ name: 'read_file', description: 'Read a file', parametersJsonSchema: inputSchema });

    fake.enqueue({ parts: [{ text: 'The README says hello.' }] });
    const second = await provider.complete(
      request({
        role: 'agent',
        tools,
        messages: [
          ...request().messages,
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', toolUseId: call.id, content: '# Hello', isError: false }] },
        ],
      }),
    );
    expect(second).toMatchObject({ stopReason: 'end_turn', content: [{ type: 'text', text: 'The README says hello.' }] });

    const contents = fake.requests[1]!.body.contents!;
    expect(contents.map((c) => c.role)).toEqual(['user', 'model', 'user']);
    // Ids the provider made up stay on our side; replayed calls carry Google's documented stand-in signature.
    expect(contents[1]!.parts![1]).toEqual({
      functionCall: { name: 'read_file', args: { path: 'README.md' } },
      thoughtSignature: 'skip_thought_signature_validator',
    });
    expect(contents[2]!.parts).toEqual([{ functionResponse: { name: 'read_file', response: { output: '# Hello', isError: false } } }]);
  });

  it('keeps the ids Gemini gives to function calls and sends them back', async () => {
    const tools = [{ name: 'list_files', description: 'List', inputSchema: { type: 'object' } }];
    fake.enqueue({ parts: [{ functionCall: { id: 'call-abc', name: 'list_files', args: {} } }] });
    const first = await provider.complete(request({ role: 'agent', tools }));
    expect(first.content).toEqual([{ type: 'tool_use', id: 'call-abc', name: 'list_files', input: {} }]);

    fake.enqueue({ parts: [{ text: 'done' }] });
    const messages: LlmRequest['messages'] = [
      ...request().messages,
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', toolUseId: 'call-abc', content: 'no such dir', isError: true }] },
    ];
    await provider.complete(request({ role: 'agent', tools, messages }));
    const contents = fake.requests[1]!.body.contents!;
    expect(contents[1]!.parts![0]).toMatchObject({ functionCall: { id: 'call-abc', name: 'list_files' } });
    expect(contents[2]!.parts![0]).toEqual({
      functionResponse: { id: 'call-abc', name: 'list_files', response: { output: 'no such dir', isError: true } },
    });
  });

  it('gives calls without ids stable ids, so a retried turn names its calls the same', async () => {
    const tools = [{ name: 'read_file', description: 'Read', inputSchema: { type: 'object' } }];
    const reply = { parts: [{ functionCall: { name: 'read_file', args: { path: 'a' } } }, { functionCall: { name: 'read_file', args: { path: 'b' } } }] };
    fake.enqueue(reply);
    fake.enqueue(reply);
    const ids = async () => (await provider.complete(request({ role: 'agent', tools }))).content.map((b) => (b as ToolUseBlock).id);
    const [first, again] = [await ids(), await ids()];
    expect(first).toEqual(again);
    expect(new Set(first).size).toBe(2);
  });

  it('asks for JSON with responseMimeType when no tools are given', async () => {
    fake.enqueue({ parts: [{ text: '{"kind":"answer"}' }] });
    await provider.complete(request({ json: true, maxOutputTokens: 512 }));
    expect(fake.requests[0]!.body.generationConfig).toMatchObject({ responseMimeType: 'application/json', maxOutputTokens: 512 });
  });

  it('uses Google Search for web search and reports the pages it consulted', async () => {
    fake.enqueue({
      parts: [{ text: 'Stripe charges 2.9%.' }],
      groundingMetadata: {
        groundingChunks: [
          { web: { uri: 'https://stripe.com/pricing', title: 'stripe.com' } },
          { web: { uri: 'https://example.com/fees' } },
        ],
      },
    });
    const response = await provider.complete(request({ webSearch: true }));
    expect(fake.requests[0]!.body.tools).toEqual([{ googleSearch: {} }]);
    expect(response.sources).toEqual([{ url: 'https://stripe.com/pricing', title: 'stripe.com' }, { url: 'https://example.com/fees' }]);
  });

  it('maps finishReason MAX_TOKENS to max_tokens', async () => {
    fake.enqueue({ parts: [{ text: 'cut o' }], finishReason: 'MAX_TOKENS' });
    expect((await provider.complete(request())).stopReason).toBe('max_tokens');
  });

  it('turns 429 into a retryable rate limit with the delay Google asks for', async () => {
    fake.enqueue({ status: 429, body: googleError(429, 'Quota exceeded for generate_content.', [retryInfo('7s')]), headers: { 'retry-after': '7' } });
    const error = await failure(provider.complete(request()));
    expect(error).toMatchObject({ kind: 'rate_limited', retryable: true, status: 429, retryAfterMs: 7000, provider: 'gemini' });
  });

  it.each([500, 503])('turns %i into a retryable unavailable error, sent exactly once (no SDK retry)', async (status) => {
    fake.enqueue({ status, body: googleError(status, 'The service is currently unavailable.') });
    const error = await failure(provider.complete(request()));
    expect(error).toMatchObject({ kind: 'unavailable', retryable: true, status });
    expect(fake.requests).toHaveLength(1);
  });

  it('turns 400 into a non-retryable invalid request that says what was wrong', async () => {
    fake.enqueue({ status: 400, body: googleError(400, 'Invalid JSON payload received. Unknown name "foo".') });
    const error = await failure(provider.complete(request()));
    expect(error).toMatchObject({ kind: 'invalid_request', retryable: false, status: 400 });
    expect(error.message).toContain('Invalid JSON payload received. Unknown name "foo".');
  });

  it('turns 403 into unauthorized without leaking the key', async () => {
    fake.enqueue({ status: 403, body: googleError(403, `Method doesn't allow unregistered callers. Key ${API_KEY} is not valid.`) });
    const error = await failure(provider.complete(request()));
    expect(error).toMatchObject({ kind: 'unauthorized', retryable: false, status: 403 });
    expect(error.message).not.toContain(API_KEY);
    expect(error.message).toContain('[redacted]');
  });

  it('cancels a slow call promptly when aborted', async () => {
    fake.enqueue({ parts: [{ text: 'too late' }], delayMs: 5000 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(provider.complete(request({ signal: controller.signal })));
    expect(error.kind).toBe('aborted');
    expect(error.retryable).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports an unreachable server as unavailable, without the key in the message', async () => {
    const closed = await startFakeGemini();
    const baseURL = closed.baseURL;
    await closed.close();
    const offline = new GeminiProvider({ apiKey: API_KEY, baseURL });
    const error = await failure(offline.complete(request()));
    expect(error).toMatchObject({ kind: 'unavailable', retryable: true });
    expect(error.message).not.toContain(API_KEY);
  });

  it('says so when the fake has nothing scripted', async () => {
    const error = await failure(provider.complete(request()));
    expect(error.message).toContain('no scripted reply');
  });
});
