/**
 * A live, read-only view of a task's worktree while its agent works: the file list and any file's content,
 * size-capped. Paths are resolved the way the agent's own tools resolve them, so nothing outside the
 * worktree can be read through here.
 */
import fs from 'node:fs/promises';
import { eq } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { agentSessions } from '../../db/schema.js';
import { resolveWorkspacePath } from '../../runtime/tools/workspace-path.js';
import { walkWorkspace } from '../../runtime/tools/walk-workspace.js';
import { workspaceLayout } from '../../runtime/workspace/layout.js';
import type { AppDeps } from '../app.js';
import { requireAccess } from '../auth.js';
import { ApiError, parseInput } from '../errors.js';
import { routeDoc } from '../openapi.js';
import { uuidParam } from './projects.js';

const MAX_FILES = 2_000;
const MAX_FILE_BYTES = 256 * 1024;

const idParams = z.object({ id: uuidParam });

export function sessionRoutes(app: FastifyInstance, deps: Pick<AppDeps, 'db'> & { home: string }) {
  /** The session's worktree, once the caller may see the session's project. */
  async function worktreeOf(req: FastifyRequest, id: string) {
    const [session] = await deps.db.select({ projectId: agentSessions.projectId }).from(agentSessions).where(eq(agentSessions.id, id));
    if (!session) throw new ApiError(404, 'session_not_found', `No session ${id}`, 'id');
    requireAccess(req, session.projectId);
    const dir = workspaceLayout(deps.home, session.projectId).taskDir(id);
    const present = await fs.stat(dir).then((s) => s.isDirectory()).catch(() => false);
    if (!present) throw new ApiError(404, 'worktree_gone', 'This task has no worktree now: its work was merged, or it has not started');
    return fs.realpath(dir);
  }

  const listDoc = routeDoc({ summary: "The files of a running task's worktree", tags: ['sessions'], params: idParams });
  app.get('/api/sessions/:id/files', { schema: listDoc }, async (req) => {
    const { id } = parseInput(idParams, req.params, 'params');
    const root = await worktreeOf(req, id);
    const files: Array<{ path: string; size: number }> = [];
    for await (const entry of walkWorkspace(root, root, { recursive: true })) {
      if (entry.kind !== 'file') continue;
      if (files.length >= MAX_FILES) return { files, truncated: true };
      files.push({ path: entry.relative, size: (await fs.stat(entry.absolute)).size });
    }
    return { files, truncated: false };
  });

  const fileDoc = routeDoc({ summary: "One file of a running task's worktree (size-capped)", tags: ['sessions'] });
  app.get('/api/sessions/:id/files/*', { schema: fileDoc }, async (req) => {
    const { id, '*': requested } = parseInput(z.object({ id: uuidParam, '*': z.string().min(1).max(1_000) }), req.params, 'params');
    const root = await worktreeOf(req, id);
    const file = await resolveWorkspacePath(root, requested).catch((err: Error) => {
      throw new ApiError(400, 'bad_path', err.message, 'path');
    });
    const stat = await fs.stat(file.absolute).catch(() => undefined);
    if (!stat?.isFile()) throw new ApiError(404, 'file_not_found', `No file ${requested} in this worktree`, 'path');
    const handle = await fs.open(file.absolute, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(stat.size, MAX_FILE_BYTES));
      await handle.read(buffer, 0, buffer.length, 0);
      return { path: file.relative, size: stat.size, truncated: stat.size > MAX_FILE_BYTES, content: buffer.toString('utf8') };
    } finally {
      await handle.close();
    }
  });
}
