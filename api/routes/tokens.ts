import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { setProjectTokenHash } from '../../db/queries/projects.js';
import type { AppDeps } from '../app.js';
import { hashToken, newProjectToken, principalOf, requireAdmin } from '../auth.js';
import { ApiError, parseInput } from '../errors.js';
import { routeDoc } from '../openapi.js';
import type { RevocationWatch } from '../revocation-watch.js';
import type { TicketIssuer } from '../tickets.js';
import type { RecentTokens } from '../wrong-token-limit.js';
import { uuidParam } from './projects.js';

const params = z.object({ projectId: uuidParam });

/**
 * POST and DELETE /api/projects/:projectId/tokens (admin only): issue the project's API token, or revoke it.
 * One active token per project: issuing a new one revokes the old. The token is shown once; only its hash is kept.
 * A revoked token's tickets are refused from then on, and its open sockets closed: at once in this process,
 * within seconds in the others (revocation-watch.ts).
 */
export function tokenRoutes(
  app: FastifyInstance,
  deps: Pick<AppDeps, 'db'> & { tickets: TicketIssuer; revocations: RevocationWatch; recentTokens: RecentTokens },
) {
  const noProject = (projectId: string) => new ApiError(404, 'project_not_found', `No project ${projectId}`, 'projectId');

  app.post(
    '/api/projects/:projectId/tokens',
    { schema: routeDoc({ summary: "Issue the project's API token (shown once; revokes the previous one)", tags: ['tokens'], params }) },
    async (req, reply) => {
      const { projectId } = parseInput(params, req.params, 'params');
      requireAdmin(req);
      const token = newProjectToken(projectId);
      const hash = hashToken(token);
      if (!(await setProjectTokenHash(deps.db, projectId, hash))) throw noProject(projectId);
      // Known good from the start: a founder behind an address that guessers pushed over the limit can use it.
      deps.recentTokens.add(hash);
      await deps.revocations.checkNow();
      req.log.info({ projectId }, 'project token issued');
      return reply.code(201).send({ token });
    },
  );

  app.delete(
    '/api/projects/:projectId/tokens',
    { schema: routeDoc({ summary: "Revoke the project's API token", tags: ['tokens'], params }) },
    async (req, reply) => {
      const { projectId } = parseInput(params, req.params, 'params');
      requireAdmin(req);
      if (!(await setProjectTokenHash(deps.db, projectId, null))) throw noProject(projectId);
      await deps.revocations.checkNow();
      req.log.info({ projectId }, 'project token revoked');
      return reply.code(204).send();
    },
  );

  /** A short-lived ticket for the same caller, for the WebSocket and EventSource routes a browser opens. */
  const ticketDoc = routeDoc({ summary: 'A stream ticket (60 s, one connection) to open /api/stream, an SSE stream or a terminal with ?ticket=', tags: ['tokens'] });
  app.post('/api/stream/tickets', { schema: ticketDoc }, async (req, reply) => reply.code(201).send(deps.tickets.issue(principalOf(req))));
}
