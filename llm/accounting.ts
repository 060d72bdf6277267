import type { Db } from '../db/client.js';
import { llmCalls } from '../db/schema.js';
import type { LlmRequest, LlmResponse } from './types.js';

export type CallContext = { projectId: string; conversationId: string; sessionId?: string; workflowId?: string };

/** One llm_calls row per model call, so the founder can see what each request cost. */
export async function recordLlmCall(db: Db, context: CallContext, request: LlmRequest, response: LlmResponse, latencyMs: number) {
  await db.insert(llmCalls).values({
    projectId: context.projectId,
    conversationId: context.conversationId,
    sessionId: context.sessionId,
    workflowId: context.workflowId,
    role: request.role,
    tier: request.tier,
    provider: response.provider,
    model: response.model,
    inputTokens: response.usage.inputTokens,
    outputTokens: response.usage.outputTokens,
    cachedTokens: response.usage.cachedTokens,
    // Scripted answers cost nothing; vendor prices come with the real providers.
    costUsd: '0',
    latencyMs,
    outcome: 'ok',
  });
}
