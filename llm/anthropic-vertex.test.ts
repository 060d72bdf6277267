import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../test/fakes/anthropic-server.js';
import { AnthropicProvider } from './anthropic-provider.js';
import { textOf } from './types.js';

describe('Claude on Vertex AI (the real Vertex client against a local wire-level server)', () => {
  let fake: FakeAnthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic();
  });
  afterAll(() => fake?.close());

  it("calls the project's Vertex endpoint for the model with the access token, and maps the reply", async () => {
    const provider = new AnthropicProvider({ vertex: { projectId: 'acme-prod', region: 'us-east5', accessToken: 'ya29.test-access-token' }, baseURL: fake.baseURL });
    fake.enqueue({ content: [{ type: 'text', text: 'Hello from Vertex' }], usage: { input_tokens: 12, output_tokens: 3 } });
    const response = await provider.complete({
      role: 'assist',
      tier: 'B',
      model: 'claude-sonnet-4-6',
      system: 'You are Assist.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      meta: { requestText: 'hi' },
    });
    expect(textOf(response.content)).toBe('Hello from Vertex');
    expect(response.usage).toMatchObject({ inputTokens: 12, outputTokens: 3 });
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe('/projects/acme-prod/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-6:rawPredict');
    expect(sent.headers.authorization ?? sent.apiKeyPresent).toBeTruthy();
    // Vertex takes the API version in the body rather than a header.
    expect(typeof sent.body.anthropic_version).toBe('string');
  });
});
