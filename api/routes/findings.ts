/**
 * What the monitor found, and the founder's answer to "Want me to fix it?": acting starts a normal request built
 * from the finding; dismissing puts it away.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ensureMonitoringConversation, getFinding, listFindings, setFindingStatus, type FindingView } from '../../db/queries/monitoring.js';
import { requestWorkflowId } from '../../workflows/request-contract.js';
import type { AppDeps } from '../app.js';
import { requireAccess } from '../auth.js';
import { ApiError, parseInput } from '../errors.js';
import { routeDoc } from '../openapi.js';
import { requireProject, uuidParam } from './projects.js';
import { startFounderRequest, type RequestDeps } from './requests.js';

const projectParams = z.object({ projectId: uuidParam });
const findingParams = z.object({ projectId: uuidParam, findingId: uuidParam });
const listQuery = z.object({
  status: z.enum(['open', 'acted', 'dismissed']).optional().describe('Only findings in this state'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** The request the founder's yes starts: what was found, in the words Assist raised it, and what to do. */
export function requestTextFor(finding: Pick<FindingView, 'kind' | 'summary' | 'commit' | 'details'>): string {
  const where = finding.commit ? ` The deploy of commit ${finding.commit} is the likely cause; start from what it changed.` : '';
  if (finding.kind === 'metric_change' && finding.details.direction === 'jump') {
    return `The monitor noticed: ${finding.summary} Find out what drove it and tell me how to get more of it.${where}`;
  }
  return `The monitor noticed: ${finding.summary} Find the cause and fix it.${where}`;
}

async function requireFinding(deps: Pick<AppDeps, 'db'>, projectId: string, findingId: string): Promise<FindingView> {
  const finding = await getFinding(deps.db, projectId, findingId);
  if (!finding) throw new ApiError(404, 'finding_not_found', `No finding ${findingId} in project ${projectId}`, 'findingId');
  return finding;
}

/** GET /api/projects/:projectId/findings, POST .../findings/:findingId/act and .../dismiss. */
export function findingRoutes(app: FastifyInstance, deps: RequestDeps) {
  const listDoc = routeDoc({ summary: "The monitor's findings, newest first, and the monitoring conversation they are raised in", tags: ['monitoring'], params: projectParams, querystring: listQuery });
  app.get('/api/projects/:projectId/findings', { schema: listDoc }, async (req) => {
    const { projectId } = parseInput(projectParams, req.params, 'params');
    requireAccess(req, projectId);
    const { status, limit } = parseInput(listQuery, req.query, 'query');
    await requireProject(deps, projectId);
    return { monitoringConversationId: await ensureMonitoringConversation(deps.db, projectId), findings: await listFindings(deps.db, projectId, { status, limit }) };
  });

  const actDoc = routeDoc({
    summary: 'The founder says yes to a finding: starts a request to fix it (answered 202; saying yes twice starts it once)',
    tags: ['monitoring'],
    params: findingParams,
  });
  app.post('/api/projects/:projectId/findings/:findingId/act', { schema: actDoc }, async (req, reply) => {
    const { projectId, findingId } = parseInput(findingParams, req.params, 'params');
    requireAccess(req, projectId);
    await requireProject(deps, projectId);
    const finding = await requireFinding(deps, projectId, findingId);
    if (finding.status === 'acted' && finding.actedConversationId) {
      return reply.code(202).send({ conversationId: finding.actedConversationId, workflowId: requestWorkflowId(projectId, finding.actedConversationId), finding });
    }
    // Keyed by the finding, so a double click or a retried call finds the first request.
    const started = await startFounderRequest(deps, { projectId, text: requestTextFor(finding), idempotencyKey: `finding:${findingId}` });
    const acted = await setFindingStatus(deps.db, findingId, 'acted', started.conversationId);
    req.log.info({ projectId, findingId, conversationId: started.conversationId }, 'acting on a finding');
    return reply.code(202).send({ ...started, finding: acted });
  });

  const dismissDoc = routeDoc({ summary: 'The founder puts a finding away', tags: ['monitoring'], params: findingParams });
  app.post('/api/projects/:projectId/findings/:findingId/dismiss', { schema: dismissDoc }, async (req) => {
    const { projectId, findingId } = parseInput(findingParams, req.params, 'params');
    requireAccess(req, projectId);
    await requireProject(deps, projectId);
    const finding = await requireFinding(deps, projectId, findingId);
    if (finding.status === 'acted') throw new ApiError(409, 'finding_acted', 'A request is already working on this finding', 'findingId');
    return { finding: await setFindingStatus(deps.db, findingId, 'dismissed') };
  });
}
