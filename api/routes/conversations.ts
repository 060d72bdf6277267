import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { getConversationHead, getConversationView, type ConversationHead } from '../../db/queries/conversation-views.js';
import { listSessionEvents } from '../../db/queries/session-events.js';
import { confirmSignal, declineSignal, messageSignal, raiseBudgetSignal, reviseSignal, stopSignal } from '../../workflows/request-contract.js';
import type { AppDeps } from '../app.js';
import { ApiError, parseInput } from '../errors.js';
import { temporalUnavailable, withinDeadline } from '../temporal-call.js';
import { uuidParam } from './projects.js';

type ConversationDeps = Pick<AppDeps, 'db' | 'client'>;

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

/** Loads a founder conversation's head, or answers 404. */
async function requireConversation(deps: ConversationDeps, id: string): Promise<ConversationHead> {
  const head = await getConversationHead(deps.db, id);
  if (!head) throw new ApiError(404, 'conversation_not_found', `No conversation ${id}`, 'id');
  return head;
}

/** GET /api/conversations/:id, its events, and the founder's signals (message, confirm, decline, revise, stop). */
export function conversationRoutes(app: FastifyInstance, deps: ConversationDeps) {
  app.get('/api/conversations/:id', async (req) => {
    const { id } = parseInput(idParams, req.params, 'params');
    const view = await getConversationView(deps.db, id);
    if (!view) throw new ApiError(404, 'conversation_not_found', `No conversation ${id}`, 'id');
    return view;
  });

  app.get('/api/conversations/:id/events', async (req) => {
    const { id } = parseInput(idParams, req.params, 'params');
    const { after, limit } = parseInput(eventsQuery, req.query, 'query');
    await requireConversation(deps, id);
    const rows = await listSessionEvents(deps.db, id, after, limit);
    return {
      events: rows.map((e) => ({ seq: e.seq, kind: e.kind, sessionId: e.sessionId, payload: e.payload, at: e.createdAt.toISOString() })),
    };
  });

  /** POST /api/conversations/:id/<action>: answered 202 once Temporal has the signal. */
  function signalRoute<S extends z.ZodType>(route: SignalRoute<S>) {
    app.post(`/api/conversations/:id/${route.action}`, async (req, reply) => {
      const { id } = parseInput(idParams, req.params, 'params');
      const body = parseInput(route.body, req.body, 'body');
      const conversation = await requireConversation(deps, id);
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

  signalRoute({ action: 'message', body: founderText, send: (h, b) => h.signal(messageSignal, { text: b.text }) });
  signalRoute({
    action: 'confirm',
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
    body: emptyBody,
    check: (c) => (c.budgetPaused ? undefined : mustAwaitConfirmation(c)),
    send: (h) => h.signal(declineSignal),
  });
  signalRoute({
    action: 'budget',
    body: z.object({ amountUsd: z.number().positive().max(10_000) }).strict(),
    check: (c) => {
      if (!c.budgetPaused) throw new ApiError(409, 'not_paused_for_budget', 'The conversation is not waiting for a budget decision');
    },
    send: (h, b) => h.signal(raiseBudgetSignal, { amountUsd: b.amountUsd }),
  });
  signalRoute({ action: 'revise', body: founderText, check: mustAwaitConfirmation, send: (h, b) => h.signal(reviseSignal, { text: b.text }) });
  signalRoute({ action: 'stop', body: emptyBody, send: (h) => h.signal(stopSignal) });
}
