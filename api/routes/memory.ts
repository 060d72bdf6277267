import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { deleteMemory, listMemories, MEMORY_CATEGORIES, updateMemory } from '../../db/queries/memory.js';
import type { AppDeps } from '../app.js';
import { requireAccess } from '../auth.js';
import { ApiError, parseInput } from '../errors.js';
import { routeDoc } from '../openapi.js';
import { requireProject, uuidParam } from './projects.js';

const projectParams = z.object({ projectId: uuidParam });
const memoryParams = z.object({ projectId: uuidParam, memoryId: uuidParam });
const memoryPatch = z
  .object({
    category: z.enum(MEMORY_CATEGORIES),
    key: z.string().trim().min(1).max(200),
    value: z.string().trim().min(1).max(4_000),
    confidence: z.number().min(0).max(1),
    /** A pinned memory is always in Assist's mind. */
    pinned: z.boolean(),
  })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, { message: 'name at least one of category, key, value, confidence, pinned' });
const listQuery = z.object({ q: z.string().trim().min(1).max(200).optional() });

const notFound = (id: string) => new ApiError(404, 'memory_not_found', `No memory ${id} in this project`, 'memoryId');

/** What Assist remembers about a project: GET the list, PATCH one to correct it, DELETE one to forget it. */
export function memoryRoutes(app: FastifyInstance, deps: Pick<AppDeps, 'db'>) {
  const tags = ['memory'];
  const listDoc = routeDoc({ summary: 'What Assist remembers about the project; q searches it', tags, params: projectParams, querystring: listQuery });
  app.get('/api/projects/:projectId/memory', { schema: listDoc }, async (req) => {
    const { projectId } = parseInput(projectParams, req.params, 'params');
    requireAccess(req, projectId);
    const { q } = parseInput(listQuery, req.query, 'query');
    await requireProject(deps, projectId);
    return { memories: await listMemories(deps.db, projectId, { query: q }) };
  });

  const patchDoc = routeDoc({ summary: 'Correct or pin a memory', tags, params: memoryParams, body: memoryPatch });
  app.patch('/api/projects/:projectId/memory/:memoryId', { schema: patchDoc }, async (req) => {
    const { projectId, memoryId } = parseInput(memoryParams, req.params, 'params');
    requireAccess(req, projectId);
    const patch = parseInput(memoryPatch, req.body, 'body');
    const updated = await updateMemory(deps.db, projectId, memoryId, patch);
    if (updated === 'key_taken') throw new ApiError(409, 'memory_key_taken', 'Another memory already has this key; edit that one instead', 'key');
    if (!updated) throw notFound(memoryId);
    return updated;
  });

  const deleteDoc = routeDoc({ summary: 'Forget a memory (gone from every later prompt)', tags, params: memoryParams });
  app.delete('/api/projects/:projectId/memory/:memoryId', { schema: deleteDoc }, async (req, reply) => {
    const { projectId, memoryId } = parseInput(memoryParams, req.params, 'params');
    requireAccess(req, projectId);
    if (!(await deleteMemory(deps.db, projectId, memoryId))) throw notFound(memoryId);
    return reply.code(204).send();
  });
}
