import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGemini, type FakeGemini } from '../test/fakes/gemini-server.js';
import { GeminiProvider } from './gemini-provider.js';
import { textOf } from './types.js';

describe('Gemini on Vertex AI (the real client against a local wire-level server)', () => {
  let fake: FakeGemini;
  beforeAll(async () => {
    fake = await startFakeGemini();
  });
  afterAll(() => fake?.close());

  it("calls the project's Vertex endpoint for the model and maps the reply", async () => {
    const provider = new GeminiProvider({ vertexai: true, project: 'acme-prod', location: 'us-central1', accessToken: 'ya29.test-access-token', baseURL: fake.baseURL });
    fake.enqueue({ parts: [{ text: 'Hello from Vertex' }], usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 2 } });
    const response = await provider.complete({
      role: 'orchestrator',
      tier: 'A',
      model: 'gemini-2.5-flash',
      system: 'You are the orchestrator.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      meta: { requestText: 'hi' },
    });
    expect(textOf(response.content)).toBe('Hello from Vertex');
    expect(response.usage).toMatchObject({ inputTokens: 10, outputTokens: 2 });
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toMatch(/\/projects\/acme-prod\/locations\/us-central1\/publishers\/google\/models\/gemini-2\.5-flash:generateContent$/);
    expect(sent.headers.authorization).toBeTruthy();
  });
});
