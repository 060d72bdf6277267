import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toolJsonSchemas } from '../runtime/tools/index.js';
import { startFakeAnthropic, type FakeAnthropic } from '../test/fakes/anthropic-server.js';
import { AnthropicProvider, JSON_INSTRUCTION } from './anthropic-provider.js';
import { LlmError } from './errors.js';
import { textOf, toolUsesOf, type LlmRequest } from './types.js';

const API_KEY = 'sk-ant-test-key-that-must-never-leak-0123456789';
const MODEL = 'claude-test-model';

let fake: FakeAnthropic;
let provider: AnthropicProvider;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  provider = new AnthropicProvider({ apiKey: API_KEY, baseURL: fake.baseURL, maxRetries: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function request(overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    role: 'assist',
    tier: 'B',
    model: MODEL,
    system: 'You are the COO of a small company. This long, stable prompt is worth caching.',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'How are sales?' }] }],
    meta: { requestText: 'How are sales?' },
    ...overrides,
  };
}

/** The LlmError a call fails with; fails the test when it succeeds or throws something else. */
async function failure(call: Promise<unknown>): Promise<LlmError> {
  const error = await call.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(LlmError);
  return error as LlmError;
}

const body = (i: number) => fake.requests[i]!.body as Record<string, any>;

describe('AnthropicProvider', () => {
  it('answers with text and maps usage, counting cache writes as input and cache reads as cached', async () => {
    fake.enqueue({
      content: [{ type: 'text', text: 'Sales are up 12%.', citations: null }],
      usage: { input_tokens: 100, cache_creation_input_tokens: 40, cache_read_input_tokens: 900, output_tokens: 7 },
    });
    const response = await provider.complete(request());

    expect(response).toEqual({
      content: [{ type: 'text', text: 'Sales are up 12%.' }],
      stopReason: 'end_turn',
      usage: { inputTokens: 140, cachedTokens: 900, outputTokens: 7 },
      provider: 'anthropic',
      model: MODEL,
      scripted: false,
    });
    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0]!;
    expect(sent.path).toBe('/v1/messages');
    expect(sent.apiKeyPresent).toBe(true);
    expect(JSON.stringify(sent.headers)).not.toContain(API_KEY);
    expect(body(0).model).toBe(MODEL);
    expect(body(0).max_tokens).toBe(8192);
    expect(body(0).stream).toBeUndefined();
    expect(body(0).messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'How are sales?' }] }]);
  });

  it('marks the system prompt for prompt caching', async () => {
    fake.enqueue({ content: [{ type: 'text', text: 'ok' }] });
    await provider.complete(request({ maxOutputTokens: 1000 }));
    expect(body(0).system).toEqual([
      { type: 'text', text: request().system, cache_control: { type: 'ephemeral' } },
    ]);
    expect(body(0).max_tokens).toBe(1000);
  });

  it('runs a tool call round trip and sends the tool result with its id and error flag', async () => {
    const tools = toolJsonSchemas();
    fake.enqueue({
      content: [
        { type: 'text', text: 'Let me look.' },
        { type: 'tool_use', id: 'toolu_01', name: 'read_file', input: { path: 'README.md' } },
      ],
    });
    const first = await provider.complete(request({ role: 'agent', tools }));
    expect(first.stopReason).toBe('tool_use');
    expect(toolUsesOf(first.content)).toEqual([{ type: 'tool_use', id: 'toolu_01', name: 'read_file', input: { path: 'README.md' } }]);

    const sentTools = body(0).tools as Array<Record<string, unknown>>;
    expect(sentTools.map((t) => t.name)).toEqual(tools.map((t) => t.name));
    expect(sentTools[0]).toMatchObject({ name: tools[0]!.name, description: tools[0]!.description, input_schema: { type: 'object' } });
    expect(sentTools[0]!.cache_control).toBeUndefined();
    expect(sentTools.at(-1)!.cache_control).toEqual({ type: 'ephemeral' });

    fake.enqueue({ content: [{ type: 'text', text: 'The file does not exist, so I will create it.' }] });
    const second = await provider.complete(
      request({
        role: 'agent',
        tools,
        messages: [
          ...request().messages,
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', toolUseId: 'toolu_01', content: 'No such file: README.md', isError: true }] },
        ],
      }),
    );
    expect(textOf(second.content)).toBe('The file does not exist, so I will create it.');
    expect(second.stopReason).toBe('end_turn');
    expect(body(1).messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me look.' },
          { type: 'tool_use', id: 'toolu_01', name: 'read_file', input: { path: 'README.md' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'No such file: README.md', is_error: true }] },
    ]);
  });

  it('asks for a single JSON object in JSON mode, outside the cached system block', async () => {
    fake.enqueue({ content: [{ type: 'text', text: '{"kind":"answer","text":"hi"}' }] });
    const response = await provider.complete(request({ json: true }));
    expect(JSON.parse(textOf(response.content))).toEqual({ kind: 'answer', text: 'hi' });
    expect(body(0).system).toEqual([
      { type: 'text', text: request().system, cache_control: { type: 'ephemeral' } },
      { type: 'text', text: JSON_INSTRUCTION },
    ]);
  });

  it('offers web search and collects its sources without handing server tool calls to the caller', async () => {
    fake.enqueue({
      content: [
        { type: 'server_tool_use', id: 'srvtoolu_01', name: 'web_search', input: { query: 'referral programs' } },
        {
          type: 'web_search_tool_result',
          tool_use_id: 'srvtoolu_01',
          content: [
            { type: 'web_search_result', url: 'https://a.example/referrals', title: 'Referral guide', encrypted_content: 'x', page_age: null },
            { type: 'web_search_result', url: 'https://b.example/growth', title: 'Growth loops', encrypted_content: 'y', page_age: null },
          ],
        },
        {
          type: 'text',
          text: 'Referral programs work best with two-sided rewards.',
          citations: [
            { type: 'web_search_result_location', url: 'https://a.example/referrals', title: 'Referral guide', cited_text: '...', encrypted_index: 'z' },
            { type: 'web_search_result_location', url: 'https://c.example/cited', title: null, cited_text: '...', encrypted_index: 'w' },
          ],
        },
      ],
      usage: { input_tokens: 50, output_tokens: 20 },
    });
    const response = await provider.complete(request({ webSearch: true }));

    expect(body(0).tools).toEqual([{ type: 'web_search_20250305', name: 'web_search', max_uses: 5, cache_control: { type: 'ephemeral' } }]);
    expect(response.content).toEqual([{ type: 'text', text: 'Referral programs work best with two-sided rewards.' }]);
    expect(response.stopReason).toBe('end_turn');
    expect(response.sources).toEqual([
      { url: 'https://a.example/referrals', title: 'Referral guide' },
      { url: 'https://b.example/growth', title: 'Growth loops' },
      { url: 'https://c.example/cited' },
    ]);
  });

  it('requires a model id before calling anything', async () => {
    const error = await failure(provider.complete(request({ model: undefined })));
    expect(error.kind).toBe('invalid_request');
    expect(error.retryable).toBe(false);
    expect(fake.requests).toHaveLength(0);
  });

  it('turns 429 into rate_limited with the Retry-After delay', async () => {
    fake.enqueue({ status: 429, headers: { 'retry-after': '2' } });
    const error = await failure(provider.complete(request()));
    expect(error).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 2000, status: 429, provider: 'anthropic' });

    fake.enqueue({ status: 429, headers: { 'retry-after-ms': '1500', 'retry-after': '2' } });
    expect((await failure(provider.complete(request()))).retryAfterMs).toBe(1500);
  });

  it.each([500, 529])('turns %i into a retryable unavailable error', async (status) => {
    fake.enqueue({ status });
    const error = await failure(provider.complete(request()));
    expect(error).toMatchObject({ kind: 'unavailable', retryable: true, status });
  });

  it('does not retry on its own: one 500 is one request', async () => {
    fake.enqueue({ status: 500 });
    fake.enqueue({ content: [{ type: 'text', text: 'a retry would have got this' }] });
    await failure(provider.complete(request()));
    expect(fake.requests).toHaveLength(1);
  });

  it('turns 400 into a non-retryable invalid_request that says what was wrong', async () => {
    fake.enqueue({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'tools.0.input_schema: type is required' } } });
    const error = await failure(provider.complete(request()));
    expect(error).toMatchObject({ kind: 'invalid_request', retryable: false, status: 400 });
    expect(error.message).toBe('Anthropic API 400 invalid_request_error: tools.0.input_schema: type is required');
  });

  it('turns a prompt that is too long into context_too_long', async () => {
    fake.enqueue({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 215000 tokens > 200000 maximum' } } });
    const error = await failure(provider.complete(request()));
    expect(error).toMatchObject({ kind: 'context_too_long', retryable: false });
  });

  it('turns 401 into unauthorized and never puts the API key in the message', async () => {
    fake.enqueue({ status: 401, body: { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key: ${API_KEY}` } } });
    const error = await failure(provider.complete(request()));
    expect(error).toMatchObject({ kind: 'unauthorized', retryable: false, status: 401 });
    expect(error.message).toContain('authentication_error');
    expect(error.message).not.toContain(API_KEY);
  });

  it('turns a refused connection into unavailable without the API key in the message', async () => {
    const gone = await startFakeAnthropic();
    await gone.close();
    const offline = new AnthropicProvider({ apiKey: API_KEY, baseURL: gone.baseURL });
    const error = await failure(offline.complete(request()));
    expect(error).toMatchObject({ kind: 'unavailable', retryable: true, status: undefined });
    expect(`${error.message} ${String(error.stack)}`).not.toContain(API_KEY);
  });

  it('cancels the in-flight call when the signal aborts', async () => {
    fake.enqueue({ content: [{ type: 'text', text: 'too late' }], delayMs: 5000 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 200);
    const error = await failure(provider.complete(request({ signal: controller.signal })));
    expect(error).toMatchObject({ kind: 'aborted', retryable: false });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(fake.requests).toHaveLength(1);
  });

  it('fails loudly when the fake has no scripted reply', async () => {
    const error = await failure(provider.complete(request()));
    expect(error.message).toContain('no scripted reply');
  });

  it('answers from a responder computed from the request', async () => {
    fake.responder = (sent) => ({ content: [{ type: 'text', text: `${(sent.messages as unknown[]).length} message(s)` }] });
    const response = await provider.complete(request());
    expect(textOf(response.content)).toBe('1 message(s)');
  });
});
