/**
 * The Browse tab's view of the project's latest commit: the default branch as the project's persistent clone
 * last saw it (fetched before every request and moved by every push). Read with git from the object store,
 * so no working tree is touched and agents' worktrees are never in the way.
 */
import fs from 'node:fs/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { listBlobsAtRef, readFileAtRef, resolveCommit } from '../../runtime/git/index.js';
import { workspaceLayout } from '../../runtime/workspace/layout.js';
import type { AppDeps } from '../app.js';
import { requireAccess } from '../auth.js';
import { ApiError, parseInput } from '../errors.js';
import { routeDoc } from '../openapi.js';
import { requireProject, uuidParam } from './projects.js';

const MAX_FILES = 5_000;
const MAX_FILE_BYTES = 256 * 1024;

const params = z.object({ projectId: uuidParam });
/** A path inside the tree: relative, no '..' or empty segments, nothing git could read as an option. */
const filePath = z
  .string()
  .min(1)
  .max(1_000)
  .refine((p) => !p.startsWith('/') && !p.startsWith('-') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..') && !/[\u0000-\u001f]/.test(p), {
    message: 'must be a relative path inside the repository',
  });
const fileParams = z.object({ projectId: uuidParam, '*': filePath });

export function treeRoutes(app: FastifyInstance, deps: Pick<AppDeps, 'db'> & { home: string }) {
  const tags = ['projects'];

  /** The clone and the commit its default branch is at, or 404 before the first request cloned it. */
  async function latestCommit(req: FastifyRequest, projectId: string) {
    requireAccess(req, projectId);
    const project = await requireProject(deps, projectId);
    const repo = workspaceLayout(deps.home, projectId).repo;
    const cloned = await fs.stat(repo).then((s) => s.isDirectory()).catch(() => false);
    const commit = cloned ? await resolveCommit(repo, `refs/remotes/origin/${project.defaultBranch}`) : undefined;
    if (!commit) throw new ApiError(404, 'no_workspace', 'The repository has not been fetched yet: it is, with the first request');
    return { repo, commit, branch: project.defaultBranch };
  }

  app.get('/api/projects/:projectId/tree', { schema: routeDoc({ summary: "The files of the default branch's latest commit", tags, params }) }, async (req) => {
    const { projectId } = parseInput(params, req.params, 'params');
    const { repo, commit, branch } = await latestCommit(req, projectId);
    const files = await listBlobsAtRef(repo, commit);
    return { branch, commit, files: files.slice(0, MAX_FILES), truncated: files.length > MAX_FILES };
  });

  const fileDoc = routeDoc({ summary: "One file of the default branch's latest commit (size-capped)", tags });
  app.get('/api/projects/:projectId/tree/*', { schema: fileDoc }, async (req) => {
    const { projectId, '*': wanted } = parseInput(fileParams, req.params, 'params');
    const { repo, commit } = await latestCommit(req, projectId);
    const entry = (await listBlobsAtRef(repo, commit)).find((f) => f.path === wanted);
    if (!entry) throw new ApiError(404, 'file_not_found', `No file ${wanted} in the latest commit`, 'path');
    // Too big to show: say so rather than send megabytes to a browser tab.
    if (entry.size > MAX_FILE_BYTES) return { path: wanted, size: entry.size, truncated: true, content: '' };
    const content = (await readFileAtRef(repo, commit, wanted)) ?? '';
    return { path: wanted, size: entry.size, truncated: false, content };
  });
}
