/**
 * Every model call an activity makes goes through here: the budget is checked first, the call heartbeats and
 * can be cancelled, its tokens and price land in llm_calls, and a vendor failure becomes a Temporal failure
 * that is retried with backoff (honouring Retry-After) or not at all.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { appendSessionEvent } from '../db/queries/session-events.js';
import { eq, sql } from 'drizzle-orm';
import { BUDGET_EXCEEDED, type BudgetPause } from '../core/budget.js';
import { llmFailureType } from '../core/failure-types.js';
import type { Db } from '../db/client.js';
import { advisorConversations, llmCalls, projects } from '../db/schema.js';
import type { Budgets } from '../lib/config.js';
import { LlmError } from '../llm/errors.js';
import { costOf, type PriceTable } from '../llm/pricing.js';
import type { LlmProvider, LlmRequest, LlmResponse } from '../llm/types.js';
import { whileHeartbeating } from './heartbeat.js';

export type CallContext = { projectId: string; conversationId: string; sessionId?: string };
export type ModelSettings = { prices: PriceTable; budgets: Budgets };

async function budgetCheck(db: Db, context: CallContext, budgets: Budgets): Promise<BudgetPause | undefined> {
  const { rows } = await db.execute<{ request_spent: string; project_spent: string; extra: string; monthly: string | null }>(sql`
    select
      (select coalesce(sum(cost_usd), 0) from ${llmCalls} where conversation_id = ${context.conversationId}) as request_spent,
      (select coalesce(sum(cost_usd), 0) from ${llmCalls}
        where project_id = ${context.projectId} and created_at >= date_trunc('month', now())) as project_spent,
      (select coalesce(budget_extra_usd, 0) from ${advisorConversations} where id = ${context.conversationId}) as extra,
      (select monthly_budget_usd from ${projects} where id::text = ${context.projectId}) as monthly`);
  const row = rows[0]!;
  const extra = Number(row.extra ?? 0);
  const requestLimit = budgets.requestUsd + extra;
  if (Number(row.request_spent) >= requestLimit) return { scope: 'request', spentUsd: Number(row.request_spent), limitUsd: requestLimit };
  const projectLimit = (row.monthly === null ? budgets.projectMonthlyUsd : Number(row.monthly)) + extra;
  if (Number(row.project_spent) >= projectLimit) return { scope: 'project', spentUsd: Number(row.project_spent), limitUsd: projectLimit };
  return undefined;
}

/** This activity's attempt number; 1 outside an activity (a unit test calling the provider directly). */
function currentAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/** The backoff the activity's retry policy would use on this attempt: 2 s doubling, at most a minute. */
const backoffMs = (attempt: number) => Math.min(60_000, 2_000 * 2 ** Math.max(0, attempt - 1));

function toFailure(err: LlmError, attempt: number): ApplicationFailure {
  if (err.retryable) {
    return ApplicationFailure.create({
      message: err.message,
      type: llmFailureType(err.kind),
      nonRetryable: false,
      // Retry-After is a floor, not the plan: a vendor saying "1 s" during a minute-long overload would
      // otherwise use up every attempt in seconds. Wait at least as long as the normal backoff.
      nextRetryDelay: err.retryAfterMs === undefined ? undefined : Math.max(err.retryAfterMs, backoffMs(attempt)),
      cause: err,
    });
  }
  const plain: Record<string, string> = {
    unauthorized: 'The AI provider refused our credentials; check the API key.',
    context_too_long: 'The conversation grew too long for the AI model.',
    invalid_request: 'The AI provider rejected the request.',
    aborted: 'The request was stopped.',
  };
  return ApplicationFailure.nonRetryable(`${plain[err.kind] ?? 'The AI call failed.'} (${err.message})`, llmFailureType(err.kind));
}

export function createModelCaller(db: Db, llm: LlmProvider, settings: ModelSettings) {
  /** A provider bound to one request (and task), to hand to completeStructured or call directly. */
  return function modelFor(context: CallContext): LlmProvider {
    return {
      name: llm.name,
      async complete(request: LlmRequest): Promise<LlmResponse> {
        const over = await budgetCheck(db, context, settings.budgets);
        if (over) {
          throw ApplicationFailure.create({
            message: `The ${over.scope} budget is used up ($${over.spentUsd.toFixed(2)} of $${over.limitUsd.toFixed(2)})`,
            type: BUDGET_EXCEEDED,
            nonRetryable: true,
            details: [over],
          });
        }
        const started = Date.now();
        const row = { projectId: context.projectId, conversationId: context.conversationId, sessionId: context.sessionId, role: request.role, tier: request.tier };
        try {
          const response = await whileHeartbeating((signal) => llm.complete({ ...request, signal }));
          const priced = response.scripted ? 0 : (costOf(settings.prices, request.model ?? response.model, response.usage) ?? costOf(settings.prices, response.model, response.usage));
          await db.insert(llmCalls).values({
            ...row,
            provider: response.provider,
            model: response.model,
            inputTokens: response.usage.inputTokens,
            outputTokens: response.usage.outputTokens,
            cachedTokens: response.usage.cachedTokens,
            costUsd: String(priced ?? 0),
            latencyMs: Date.now() - started,
            outcome: 'ok',
          });
          if (response.sources?.length) {
            // Where a claim came from, for the founder to see; keyed so a retried call records it once.
            const urls = response.sources.map((s) => s.url).sort();
            const key = createHash('sha256').update(`${context.sessionId ?? ''}|${request.role}|${request.messages.length}|${urls.join('|')}`).digest('hex');
            await appendSessionEvent(db, {
              conversationId: context.conversationId,
              sessionId: context.sessionId,
              kind: 'web.sources',
              payload: { role: request.role, sources: response.sources.slice(0, 20), scripted: response.scripted },
              idempotencyKey: `${context.conversationId}:sources:${key.slice(0, 24)}`,
            });
          }
          return response;
        } catch (err) {
          const failed = err instanceof LlmError ? err : undefined;
          await db.insert(llmCalls).values({
            ...row,
            provider: failed?.provider ?? llm.name,
            model: request.model ?? 'unknown',
            latencyMs: Date.now() - started,
            outcome: failed?.kind === 'aborted' ? 'cancelled' : 'error',
          });
          throw failed ? toFailure(failed, currentAttempt()) : err;
        }
      },
    };
  };
}

/** The money a conversation's calls have cost so far. */
export async function conversationCost(db: Db, conversationId: string): Promise<number> {
  const [row] = await db
    .select({ total: sql<string>`coalesce(sum(${llmCalls.costUsd}), 0)` })
    .from(llmCalls)
    .where(eq(llmCalls.conversationId, conversationId));
  return Number(row?.total ?? 0);
}
