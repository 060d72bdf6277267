import { createHash, randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { deploySettingsSchema, redeployWorkflowId, type RedeployInput } from '../../core/deploy-settings.js';
import { PROJECT_ID } from '../../core/search-attributes.js';
import { deploys } from '../../db/schema.js';
import type { AppDeps } from '../app.js';
import { requireAccess } from '../auth.js';
import { ApiError, parseInput } from '../errors.js';
import { routeDoc } from '../openapi.js';
import { startWorkflowOnce, temporalUnavailable } from '../temporal-call.js';
import { requireProject, uuidParam } from './projects.js';
import { idempotencyHeaders } from '../idempotency-key.js';

type DeployDeps = Pick<AppDeps, 'db' | 'client' | 'taskQueue'>;

/** A deploy as the API shows it. */
export type DeployView = {
  id: string;
  conversationId: string | null;
  kind: string;
  commit: string;
  /** started | succeeded | failed */
  status: string;
  url: string | null;
  logTail: string | null;
  startedAt: string;
  finishedAt: string | null;
};

const toView = (row: typeof deploys.$inferSelect): DeployView => ({
  id: row.id,
  conversationId: row.conversationId,
  kind: row.kind,
  commit: row.commit,
  status: row.status,
  url: row.url,
  logTail: row.logTail,
  startedAt: row.startedAt.toISOString(),
  finishedAt: row.finishedAt?.toISOString() ?? null,
});

const projectParams = z.object({ projectId: uuidParam });
const redeployParams = z.object({ projectId: uuidParam, deployId: uuidParam });
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });

/**
 * The new deploy's id. With an Idempotency-Key it is derived from the key (and what it redeploys), so a
 * retried POST names the same deploy and its workflow start is refused as a duplicate instead of deploying twice.
 */
function newDeployId(projectId: string, sourceDeployId: string, key: string | undefined): string {
  if (!key) return randomUUID();
  const hex = createHash('sha256').update(`${projectId}\n${sourceDeployId}\n${key}`).digest('hex');
  // Shaped as an RFC 4122 uuid (version 5 style bits) so it fits the uuid column.
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** GET /api/projects/:projectId/deploys and POST /api/projects/:projectId/deploys/:deployId/redeploy. */
export function deployRoutes(app: FastifyInstance, deps: DeployDeps) {
  /** The project's deploys, newest first. */
  const listDoc = routeDoc({ summary: "The project's deploys, newest first", tags: ['deploys'], params: projectParams, querystring: listQuery });
  app.get('/api/projects/:projectId/deploys', { schema: listDoc }, async (req) => {
    const { projectId } = parseInput(projectParams, req.params, 'params');
    requireAccess(req, projectId);
    const { limit } = parseInput(listQuery, req.query, 'query');
    await requireProject(deps, projectId);
    const rows = await deps.db.select().from(deploys).where(eq(deploys.projectId, projectId)).orderBy(desc(deploys.startedAt), desc(deploys.id)).limit(limit);
    return { deploys: rows.map(toView) };
  });

  /**
   * Deploys the commit of an earlier deploy again (a rollback, when that deploy is older than the current one).
   * Answered 202 once the redeploy workflow runs; its progress is the new deploy's row in the list above.
   */
  const redeployDoc = routeDoc({ summary: 'Deploy the commit of an earlier deploy again', tags: ['deploys'], params: redeployParams, headers: idempotencyHeaders });
  app.post('/api/projects/:projectId/deploys/:deployId/redeploy', { schema: redeployDoc }, async (req, reply) => {
    const { projectId, deployId: sourceDeployId } = parseInput(redeployParams, req.params, 'params');
    requireAccess(req, projectId);
    const key = parseInput(idempotencyHeaders, req.headers, 'headers')['idempotency-key'];
    const project = await requireProject(deps, projectId);
    const [source] = await deps.db.select().from(deploys).where(and(eq(deploys.id, sourceDeployId), eq(deploys.projectId, projectId)));
    if (!source) throw new ApiError(404, 'deploy_not_found', `Project ${projectId} has no deploy ${sourceDeployId}`, 'deployId');
    const settings = deploySettingsSchema.safeParse(project.deploy ?? { kind: 'none' });
    if (!settings.success || settings.data.kind === 'none') {
      throw new ApiError(409, 'no_deployer', 'This project has no deployer configured, so nothing can be deployed');
    }

    const deployId = newDeployId(projectId, sourceDeployId, key);
    const workflowId = redeployWorkflowId(deployId);
    const input: RedeployInput = { projectId, deployId, commit: source.commit, sourceDeployId };
    // A retried POST with the same key finds the redeploy already running (or run) and answers as the first time.
    await startWorkflowOnce(deps.client, 'redeployWorkflow', {
      taskQueue: deps.taskQueue,
      workflowId,
      args: [input],
      typedSearchAttributes: [{ key: PROJECT_ID, value: projectId }],
    }).catch((err) => {
      throw temporalUnavailable('The redeploy could not be started; send it again', err);
    });
    return reply.code(202).send({ deployId, workflowId, commit: source.commit, sourceDeployId });
  });
}
