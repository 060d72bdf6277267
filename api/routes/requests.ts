import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PROJECT_ID, SESSION_STATUS } from '../../core/search-attributes.js';
import {
  findConversationByIdempotencyKey,
  insertRequestConversation,
  markConversationNotStarted,
  type ConversationHead,
} from '../../db/queries/conversation-views.js';
import { requestWorkflowId, type RequestInput } from '../../workflows/request-contract.js';
import type { AppDeps } from '../app.js';
import { requireAccess } from '../auth.js';
import { parseInput } from '../errors.js';
import { routeDoc } from '../openapi.js';
import { startWorkflowOnce, temporalUnavailable } from '../temporal-call.js';
import { requireProject, uuidParam } from './projects.js';
import { idempotencyHeaders } from '../idempotency-key.js';

/** What starting a request needs of the app's dependencies. */
export type RequestDeps = Pick<AppDeps, 'db' | 'client' | 'taskQueue' | 'requestSettings'>;

/** Body of POST /api/projects/:projectId/requests: what the founder asks, in their words. */
export const createRequestBody = z.object({ text: z.string().trim().min(1).max(8_000) });

const requestParams = z.object({ projectId: uuidParam });

const NOT_STARTED = 'The request was saved but could not be started; send it again';

/**
 * Starts a conversation's request workflow, or does nothing when its run exists. A closed run is never started
 * again (REJECT_DUPLICATE): a retried POST after the request finished must not redo the work.
 */
function ensureWorkflowStarted(deps: RequestDeps, workflowId: string, input: RequestInput): Promise<void> {
  return startWorkflowOnce(deps.client, 'requestWorkflow', {
    taskQueue: deps.taskQueue,
    workflowId,
    args: [input],
    typedSearchAttributes: [
      { key: PROJECT_ID, value: input.projectId },
      { key: SESSION_STATUS, value: 'assisting' },
    ],
  });
}

/**
 * Starts a founder request on a project known to exist: its conversation row, then its workflow. With an
 * idempotency key, a retry (or a concurrent twin) answers with the first conversation instead of starting another.
 * Throws a 503 ApiError when Temporal does not take the start. Used by the request route and by acting on a finding.
 */
export async function startFounderRequest(
  deps: RequestDeps,
  request: { projectId: string; text: string; idempotencyKey?: string },
): Promise<{ conversationId: string; workflowId: string }> {
  const { projectId, text, idempotencyKey } = request;
  const inputOf = (c: Pick<ConversationHead, 'id' | 'projectId' | 'requestText'>): RequestInput => ({
    projectId: c.projectId,
    conversationId: c.id,
    requestText: c.requestText,
    settings: deps.requestSettings,
  });

  /** A retried POST: the stored conversation (not the retry's text), its workflow started if still running. */
  async function resume(existing: ConversationHead) {
    if (existing.status === 'running') {
      try {
        await ensureWorkflowStarted(deps, existing.workflowId, inputOf(existing));
      } catch (err) {
        throw temporalUnavailable(NOT_STARTED, err);
      }
    }
    return { conversationId: existing.id, workflowId: existing.workflowId };
  }

  if (idempotencyKey) {
    const existing = await findConversationByIdempotencyKey(deps.db, projectId, idempotencyKey);
    if (existing) return resume(existing);
  }

  const id = randomUUID();
  const workflowId = requestWorkflowId(projectId, id);
  const inserted = await insertRequestConversation(deps.db, {
    id,
    projectId,
    workflowId,
    requestText: text,
    idempotencyKey,
    firstMessage: { id: randomUUID(), role: 'founder', content: text, timestamp: new Date().toISOString() },
  });
  if (!inserted) {
    // A concurrent POST with the same key inserted first: answer with its conversation.
    const winner = idempotencyKey ? await findConversationByIdempotencyKey(deps.db, projectId, idempotencyKey) : undefined;
    if (!winner) throw new Error(`conversation insert for project ${projectId} was refused without a conflicting row`);
    return resume(winner);
  }

  try {
    await ensureWorkflowStarted(deps, workflowId, inputOf({ id, projectId, requestText: text }));
  } catch (err) {
    // With a key, the founder's retry finds the row and starts it; without one nobody can, so it is closed.
    if (!idempotencyKey) await markConversationNotStarted(deps.db, id, NOT_STARTED);
    throw temporalUnavailable(NOT_STARTED, err);
  }
  return { conversationId: id, workflowId };
}

/** POST /api/projects/:projectId/requests: the founder's new request, answered 202 once its workflow runs. */
export function requestRoutes(app: FastifyInstance, deps: RequestDeps) {
  const doc = routeDoc({
    summary: "Start a founder request; answered 202 once its workflow runs (Idempotency-Key makes retries safe)",
    tags: ['requests'],
    params: requestParams,
    headers: idempotencyHeaders,
    body: createRequestBody,
  });
  app.post('/api/projects/:projectId/requests', { schema: doc }, async (req, reply) => {
    const { projectId } = parseInput(requestParams, req.params, 'params');
    requireAccess(req, projectId);
    const idempotencyKey = parseInput(idempotencyHeaders, req.headers, 'headers')['idempotency-key'];
    const { text } = parseInput(createRequestBody, req.body, 'body');
    await requireProject(deps, projectId);
    return reply.code(202).send(await startFounderRequest(deps, { projectId, text, idempotencyKey }));
  });
}
