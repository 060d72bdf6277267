/**
 * The founder's notification feed (the same notifications stream live, as `notification` events, on the
 * project's monitoring conversation) and the console's "I am here", which the morning briefing starts from.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ensureMonitoringConversation } from '../../db/queries/monitoring.js';
import { listNotifications, markNotificationsRead } from '../../db/queries/notifications.js';
import { recordVisit } from '../../db/queries/projects.js';
import type { AppDeps } from '../app.js';
import { requireAccess } from '../auth.js';
import { ApiError, parseInput } from '../errors.js';
import { routeDoc } from '../openapi.js';
import { requireProject, uuidParam } from './projects.js';

const projectParams = z.object({ projectId: uuidParam });
const listQuery = z.object({
  unread: z
    .enum(['1', '0', 'true', 'false'])
    .optional()
    .transform((v) => v === '1' || v === 'true')
    .describe('1: only the ones not read yet'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Body of POST .../notifications/read: the ids to mark read, or all of them. */
export const markReadBody = z.union([
  z.object({ ids: z.array(uuidParam).min(1).max(500).describe('Notifications to mark read') }).strict(),
  z.object({ all: z.literal(true).describe('Mark every notification of the project read') }).strict(),
]);

/** GET/POST /api/projects/:projectId/notifications..., POST /api/projects/:projectId/visits. */
export function notificationRoutes(app: FastifyInstance, deps: Pick<AppDeps, 'db'>) {
  const listDoc = routeDoc({
    summary: "The project's notifications, newest first, and the conversation whose stream carries new ones live",
    tags: ['notifications'],
    params: projectParams,
    querystring: listQuery,
  });
  app.get('/api/projects/:projectId/notifications', { schema: listDoc }, async (req) => {
    const { projectId } = parseInput(projectParams, req.params, 'params');
    requireAccess(req, projectId);
    const { unread, limit } = parseInput(listQuery, req.query, 'query');
    await requireProject(deps, projectId);
    return {
      streamConversationId: await ensureMonitoringConversation(deps.db, projectId),
      notifications: await listNotifications(deps.db, projectId, { unread, limit }),
    };
  });

  const readDoc = routeDoc({ summary: 'Mark notifications read: {ids} or {all: true}', tags: ['notifications'], params: projectParams, body: markReadBody });
  app.post('/api/projects/:projectId/notifications/read', { schema: readDoc }, async (req) => {
    const { projectId } = parseInput(projectParams, req.params, 'params');
    requireAccess(req, projectId);
    const body = parseInput(markReadBody, req.body, 'body');
    await requireProject(deps, projectId);
    return { marked: await markNotificationsRead(deps.db, projectId, 'all' in body ? 'all' : { ids: body.ids }) };
  });

  const visitDoc = routeDoc({ summary: 'The founder opened the console: the next morning briefing covers what happens from now', tags: ['notifications'], params: projectParams });
  app.post('/api/projects/:projectId/visits', { schema: visitDoc }, async (req, reply) => {
    const { projectId } = parseInput(projectParams, req.params, 'params');
    requireAccess(req, projectId);
    if (!(await recordVisit(deps.db, projectId))) throw new ApiError(404, 'project_not_found', `No project ${projectId}`, 'projectId');
    return reply.code(204).send();
  });
}
