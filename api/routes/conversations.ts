import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { getConversationHead, getConversationView, type ConversationHead } from '../../db/queries/conversation-views.js';
import { listSessionEvents } from '../../db/queries/session-events.js';
import { confirmSignal, declineSignal, messageSignal, raiseBudgetSignal, reviseSignal, stopSignal } from '../../workflows/request-contract.js';
import type { AppDeps } from '../app.js';
import { requireAccess } from '../auth.js';
import { ApiError, parseInput } from '../errors.js';
import { routeDoc } from '../openapi.js';
import { temporalUnavailable, withinDeadline } from '../temporal-call.js';
import { uuidParam } from './projects.js';

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

/** One founder signal: its body, what the stored row must allow (else 409), and how it is sent. */
type SignalRoute<S extends z.ZodType> = {
  /** Path segment after /api/conversations/:id/. */
  action: 'message' | 'confirm' | 'decline' | 'revise' | 'stop' | 'budget';
  /** One line for the OpenAPI document. */
  summary: string;
  body: S;
  check?: (c: ConversationHead, body: z.output<S>) => void;
  send: (handle: WorkflowHandle, body: z.output<S>) => Promise<void>;
};

const mustAwaitConfirmation = (c: ConversationHead) => {
  if (c.phase !== 'awaiting_confirmation') {
    throw new ApiError(409, 'not_awaiting_confirmation', `The conversation is ${c.phase}, not awaiting confirmation of a plan`);
  }
};

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

  /** POST /api/conversations/:id/<action>: answered 202 once Temporal has the signal. */
  function signalRoute<S extends z.ZodType>(route: SignalRoute<S>) {
    const doc = routeDoc({ summary: route.summary, tags, params: idParams, body: route.body });
    app.post(`/api/conversations/:id/${route.action}`, { schema: doc }, async (req, reply) => {
      const { id } = parseInput(idParams, req.params, 'params');
      const body = parseInput(route.body, req.body, 'body');
      const conversation = await requireConversation(deps, req, id);
      if (conversation.status !== 'running') throw finished(conversation.status);
      route.check?.(conversation, body);
      try {
        await withinDeadline(deps.client, () => route.send(deps.client.workflow.getHandle(conversation.workflowId), body));
      } catch (err) {
        // The row still says running but Temporal has closed the run; the row catches up shortly.
        if (err instanceof WorkflowNotFoundError) throw finished('closed');
        throw temporalUnavailable(`The ${route.action} did not reach the conversation; send it again`, err);
      }
      return reply.code(202).send({ accepted: true });
    });
  }

  signalRoute({ action: 'message', summary: "Answer Assist's question", body: founderText, send: (h, b) => h.signal(messageSignal, { text: b.text }) });
  signalRoute({
    action: 'confirm',
    summary: 'Confirm the plan card awaiting confirmation (409 for a stale version)',
    body: confirmBody,
    // The workflow refuses stale confirms too; answering from the row tells the founder at once.
    check: (c, b) => {
      if (c.phase !== 'awaiting_confirmation' || c.planVersion !== b.planVersion) {
        throw new ApiError(409, 'stale_plan', `Plan version ${b.planVersion} is not the plan awaiting confirmation`, 'planVersion');
      }
    },
    send: (h, b) => h.signal(confirmSignal, { planVersion: b.planVersion }),
  });
  // Decline answers a plan card, or a budget pause ("no, don't spend more").
  signalRoute({
    action: 'decline',
    summary: 'Decline the plan card, or a budget pause',
    body: emptyBody,
    check: (c) => (c.budgetPaused ? undefined : mustAwaitConfirmation(c)),
    send: (h) => h.signal(declineSignal),
  });
  signalRoute({
    action: 'budget',
    summary: 'Answer a budget pause: spend up to this much more',
    body: z.object({ amountUsd: z.number().positive().max(10_000) }).strict(),
    check: (c) => {
      if (!c.budgetPaused) throw new ApiError(409, 'not_paused_for_budget', 'The conversation is not waiting for a budget decision');
    },
    send: (h, b) => h.signal(raiseBudgetSignal, { amountUsd: b.amountUsd }),
  });
  signalRoute({ action: 'revise', summary: 'Ask for a revised plan', body: founderText, check: mustAwaitConfirmation, send: (h, b) => h.signal(reviseSignal, { text: b.text }) });
  signalRoute({ action: 'stop', summary: 'Stop the request', body: emptyBody, send: (h) => h.signal(stopSignal) });
}
