import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { getConversationHead, getConversationView, type ConversationHead } from '../../db/queries/conversation-views.js';
import { listSessionEvents } from '../../db/queries/session-events.js';
import {
  confirmUpdate,
  declineUpdate,
  messageUpdate,
  raiseBudgetUpdate,
  REFUSED,
  reviseUpdate,
  stopUpdate,
  type RefusedType,
} from '../../workflows/request-contract.js';
import type { AppDeps } from '../app.js';
import { requireAccess } from '../auth.js';
import { ApiError, parseInput } from '../errors.js';
import { routeDoc } from '../openapi.js';
import { FOUNDER_ACTION_TIMEOUT_MS, temporalUnavailable, withinDeadline } from '../temporal-call.js';
import { uuidParam } from './projects.js';
import { idempotencyHeaders } from '../idempotency-key.js';

type ConversationDeps = Pick<AppDeps, 'db' | 'client' | 'temporalUiUrl'>;

const idParams = z.object({ id: uuidParam });
const founderText = z.object({ text: z.string().trim().min(1).max(8_000) });
const confirmBody = z.object({ planVersion: z.number().int().min(1).max(1_000_000) });
/** decline and stop carry nothing: no body, or an empty object. */
const emptyBody = z.union([z.undefined(), z.null(), z.object({})]);

/** A non-negative integer from the query string: digits only, so "1.5", "-1" and "1e3" are refused. */
const queryInt = (fallback: number, min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .transform((v) => v ?? fallback);

/** Query of GET /api/conversations/:id/events. */
export const eventsQuery = z.object({ after: queryInt(0, 0, 2_147_483_647), limit: queryInt(500, 1, 1_000) });

/**
 * One founder action: its body and the Update that carries it. The workflow's validator is the judge (409 with
 * its reason when it refuses); the row is read only to find the workflow and answer 404/403.
 */
type ActionRoute<S extends z.ZodType> = {
  /** Path segment after /api/conversations/:id/. */
  action: 'message' | 'confirm' | 'decline' | 'revise' | 'stop' | 'budget';
  /** One line for the OpenAPI document. */
  summary: string;
  body: S;
  send: (handle: WorkflowHandle, body: z.output<S>, updateId: string) => Promise<unknown>;
};

const REFUSALS = new Set<string>(Object.values(REFUSED));

/** The field a refusal is about, for the console to point at. */
const refusalField: Partial<Record<RefusedType, string>> = { [REFUSED.stalePlan]: 'planVersion' };

const finished = (status: string) =>
  new ApiError(409, 'conversation_finished', `The conversation has finished (${status}); start a new request`);

/** Loads a founder conversation's head, or answers 404; 403 when it belongs to another project than the token's. */
async function requireConversation(deps: ConversationDeps, req: FastifyRequest, id: string): Promise<ConversationHead> {
  const head = await getConversationHead(deps.db, id);
  if (!head) throw new ApiError(404, 'conversation_not_found', `No conversation ${id}`, 'id');
  requireAccess(req, head.projectId);
  return head;
}

/** The workflow's page in the Temporal Web UI. */
export const temporalWorkflowUrl = (uiUrl: string, namespace: string, workflowId: string) =>
  `${uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;

/** GET /api/conversations/:id, its events, and the founder's signals (message, confirm, decline, revise, stop). */
export function conversationRoutes(app: FastifyInstance, deps: ConversationDeps) {
  const tags = ['conversations'];
  const viewDoc = routeDoc({ summary: 'Status, phase, messages, plan card, tasks, outcome, cost and the Temporal UI link', tags, params: idParams });
  app.get('/api/conversations/:id', { schema: viewDoc }, async (req) => {
    const { id } = parseInput(idParams, req.params, 'params');
    const view = await getConversationView(deps.db, id);
    if (!view) throw new ApiError(404, 'conversation_not_found', `No conversation ${id}`, 'id');
    requireAccess(req, view.projectId);
    const ui = deps.temporalUiUrl;
    return { ...view, temporalUrl: ui ? temporalWorkflowUrl(ui, deps.client.options.namespace, view.workflowId) : null };
  });

  const eventsDoc = routeDoc({ summary: "The conversation's step log, seq contiguous from 1", tags, params: idParams, querystring: eventsQuery });
  app.get('/api/conversations/:id/events', { schema: eventsDoc }, async (req) => {
    const { id } = parseInput(idParams, req.params, 'params');
    const { after, limit } = parseInput(eventsQuery, req.query, 'query');
    await requireConversation(deps, req, id);
    const rows = await listSessionEvents(deps.db, id, after, limit);
    return {
      events: rows.map((e) => ({ seq: e.seq, kind: e.kind, sessionId: e.sessionId, payload: e.payload, at: e.createdAt.toISOString() })),
    };
  });

  /** POST /api/conversations/:id/<action>: answered 202 once the workflow took the action, 409 when it would not. */
  function actionRoute<S extends z.ZodType>(route: ActionRoute<S>) {
    const doc = routeDoc({ summary: route.summary, tags, params: idParams, body: route.body, headers: idempotencyHeaders });
    app.post(`/api/conversations/:id/${route.action}`, { schema: doc }, async (req, reply) => {
      const { id } = parseInput(idParams, req.params, 'params');
      const body = parseInput(route.body, req.body, 'body');
      const key = parseInput(idempotencyHeaders, req.headers, 'headers')['idempotency-key'];
      const conversation = await requireConversation(deps, req, id);
      if (conversation.status !== 'running') throw finished(conversation.status);
      // A retried call (same key) is the same Update, so Temporal answers it with the first outcome. Keyed by
      // action too: one key sent with a confirm and then with a stop names two actions.
      const updateId = key ? `${route.action}:${key}` : randomUUID();
      try {
        await withinDeadline(deps.client, () => route.send(deps.client.workflow.getHandle(conversation.workflowId), body, updateId), FOUNDER_ACTION_TIMEOUT_MS);
      } catch (err) {
        const refused = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
        if (refused instanceof ApplicationFailure && refused.type && REFUSALS.has(refused.type)) {
          throw new ApiError(409, refused.type, refused.message, refusalField[refused.type as RefusedType]);
        }
        // The row still says running but Temporal has closed the run; the row catches up shortly.
        if (err instanceof WorkflowNotFoundError) throw finished('closed');
        throw temporalUnavailable(`The ${route.action} did not reach the conversation; send it again`, err);
      }
      return reply.code(202).send({ accepted: true });
    });
  }

  actionRoute({
    action: 'message',
    summary: "Answer Assist's question or plan card (409 once the work is under way)",
    body: founderText,
    send: (h, b, updateId) => h.executeUpdate(messageUpdate, { args: [{ text: b.text }], updateId }),
  });
  actionRoute({
    action: 'confirm',
    summary: 'Confirm the plan card awaiting confirmation (409 for a stale version or a card already answered)',
    body: confirmBody,
    send: (h, b, updateId) => h.executeUpdate(confirmUpdate, { args: [{ planVersion: b.planVersion }], updateId }),
  });
  // Decline answers a plan card, or a budget pause ("no, don't spend more").
  actionRoute({
    action: 'decline',
    summary: 'Decline the plan card, or a budget pause',
    body: emptyBody,
    send: (h, _b, updateId) => h.executeUpdate(declineUpdate, { updateId }),
  });
  actionRoute({
    action: 'budget',
    summary: 'Answer a budget pause: spend up to this much more (409 unless a pause is waiting for its answer)',
    body: z.object({ amountUsd: z.number().positive().max(10_000) }).strict(),
    send: (h, b, updateId) => h.executeUpdate(raiseBudgetUpdate, { args: [{ amountUsd: b.amountUsd }], updateId }),
  });
  actionRoute({
    action: 'revise',
    summary: 'Ask for a revised plan',
    body: founderText,
    send: (h, b, updateId) => h.executeUpdate(reviseUpdate, { args: [{ text: b.text }], updateId }),
  });
  actionRoute({
    action: 'stop',
    summary: 'Stop the request (409 once it is already going live: it then finishes)',
    body: emptyBody,
    send: (h, _b, updateId) => h.executeUpdate(stopUpdate, { updateId }),
  });
}
