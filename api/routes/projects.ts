import { removeProjectDisk } from '../../runtime/workspace/project-disk.js';
import { workspaceLayout } from '../../runtime/workspace/layout.js';
import { deploySettingsSchema } from '../../core/deploy-settings.js';
import { notificationPrefsSchema } from '../../core/notifications.js';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listConversations } from '../../db/queries/conversation-views.js';
import { createProject, deleteProject, getProject, listProjects, updateProject } from '../../db/queries/projects.js';
import { deleteProjectSchedules, ensureProjectSchedules } from '../../temporal-config/project-schedules.js';
import { withinDeadline } from '../temporal-call.js';
import { PROJECT_SECRET_NAMES, setProjectSecret } from '../../db/queries/project-secrets.js';
import { projectUsage } from '../../db/queries/usage.js';
import type { AppDeps } from '../app.js';
import { requireAccess, requireAdmin, scopedProjectId } from '../auth.js';
import { ApiError, parseInput } from '../errors.js';
import { refuseOperatorOnlyChanges } from '../operator-settings.js';
import { routeDoc } from '../openapi.js';

/** A uuid in a path segment; checked here so Postgres never sees a malformed one. */
export const uuidParam = z.guid({ message: 'must be a uuid' });

const noControlChars = (v: string) => !/[\u0000-\u001f\u007f]/.test(v);

/**
 * Where the code lives: an http(s)/ssh/git/file URL, scp-like `user@host:path`, or an absolute path.
 * Never starting with '-', so git cannot read it as an option.
 */
const repoUrl = z
  .string()
  .trim()
  .min(1)
  .max(2_000)
  .refine((v) => noControlChars(v) && /^((https?|ssh|git|file):\/\/\S+|[\w.-]+@[\w.-]+:\S+|\/.*)$/.test(v), {
    message: 'must be a git URL (https://, ssh://, git://, file://, user@host:path) or an absolute path',
  });

/** A git branch name, by git's check-ref-format rules that matter here. */
const branch = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((v) => /^[A-Za-z0-9._/-]+$/.test(v) && !/^[-/.]|\.\.|\/\/|[/.]$|\.lock$/.test(v), {
    message: 'must be a valid git branch name',
  });

const timezone = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be an IANA time zone such as Europe/Paris' },
  );

/** The founder's local time of day for the morning briefing, 24-hour HH:MM. */
const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'must be a time of day as HH:MM (24-hour)' });

/** Body of POST /api/projects. */
export const createProjectBody = z.object({
  name: z.string().trim().min(1).max(200),
  repoUrl,
  defaultBranch: branch.default('main'),
  deploy: deploySettingsSchema.default({ kind: 'none' }),
  timezone: timezone.default('UTC'),
  briefingTime: timeOfDay.default('08:00'),
  /** Let agent commands use the network (package installs); see the README for what that exposes. */
  allowNetwork: z.boolean().default(false),
});

/** Body of PATCH /api/projects/:projectId: any of the settings, at least one. */
export const updateProjectBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    repoUrl,
    defaultBranch: branch,
    deploy: deploySettingsSchema,
    timezone,
    briefingTime: timeOfDay,
    /** USD a month; null goes back to the configured default. */
    monthlyBudgetUsd: z.number().min(0).max(1_000_000).nullable(),
    allowNetwork: z.boolean(),
    /** Where email notifications go; null: in-app only. */
    notifyEmail: z.email().max(320).nullable(),
    /** Which notification kinds go to which channel; kinds left out keep their defaults. */
    notificationPrefs: notificationPrefsSchema,
  })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'name at least one setting to change' });

/** Loads a project named in a path, or answers 404. */
export async function requireProject(deps: Pick<AppDeps, 'db'>, projectId: string) {
  const project = await getProject(deps.db, projectId);
  if (!project) throw new ApiError(404, 'project_not_found', `No project ${projectId}`, 'projectId');
  return project;
}

const projectParams = z.object({ projectId: uuidParam });
const secretParams = z.object({ projectId: uuidParam, name: z.enum(PROJECT_SECRET_NAMES) });
const secretBody = z.object({ value: z.string().min(1).max(20_000) }).strict();
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) });
const usageQuery = z.object({ days: z.coerce.number().int().min(1).max(366).default(30) });

type ProjectDeps = Pick<AppDeps, 'db' | 'client' | 'taskQueue' | 'home'>;

/**
 * Brings the project's monitor and briefing Schedules in line with its settings. Temporal being unreachable does
 * not undo the change: the worker syncs every project's schedules when it starts.
 */
async function syncSchedules(deps: ProjectDeps, log: FastifyBaseLogger, project: { id: string; timezone: string; briefingTime: string }) {
  try {
    await withinDeadline(deps.client, () => ensureProjectSchedules(deps.client, project, { taskQueue: deps.taskQueue }));
  } catch (err) {
    log.warn({ projectId: project.id, reason: (err as Error).message }, 'project schedules not updated; the worker syncs them at its next start');
  }
}

/** POST /api/projects, GET /api/projects, GET/PATCH/DELETE /api/projects/:projectId, its secrets and usage. */
export function projectRoutes(app: FastifyInstance, deps: ProjectDeps) {
  const doc = { schema: routeDoc({ summary: 'Create a project (admin token)', tags: ['projects'], body: createProjectBody }) };
  app.post('/api/projects', doc, async (req, reply) => {
    requireAdmin(req);
    const body = parseInput(createProjectBody, req.body, 'body');
    // Only the admin creates projects: the repository URL is the admin's, wherever it leads.
    const created = await createProject(deps.db, { ...body, repoUrlByAdmin: true });
    if (!created) throw new ApiError(409, 'project_exists', `A project named "${body.name}" already exists`, 'name');
    await syncSchedules(deps, req.log, { id: created.id, timezone: body.timezone, briefingTime: body.briefingTime });
    return reply.code(201).send({ id: created.id });
  });

  app.get('/api/projects', { schema: routeDoc({ summary: "The projects the token may see (a project token: its own)", tags: ['projects'] }) }, async (req) => {
    const only = scopedProjectId(req);
    const all = await listProjects(deps.db);
    return { projects: only ? all.filter((p) => p.id === only) : all };
  });

  app.get('/api/projects/:projectId', { schema: routeDoc({ summary: 'One project', tags: ['projects'], params: projectParams }) }, async (req) => {
    const { projectId } = parseInput(projectParams, req.params, 'params');
    requireAccess(req, projectId);
    return requireProject(deps, projectId);
  });

  const patchDoc = routeDoc({ summary: "Change the project's settings (repo, deploy, timezone, briefing time, budget, network)", tags: ['projects'], params: projectParams, body: updateProjectBody });
  app.patch('/api/projects/:projectId', { schema: patchDoc }, async (req) => {
    const { projectId } = parseInput(projectParams, req.params, 'params');
    requireAccess(req, projectId);
    const patch = parseInput(updateProjectBody, req.body, 'body');
    const byAdmin = scopedProjectId(req) === undefined;
    const current = await requireProject(deps, projectId);
    if (!byAdmin) await refuseOperatorOnlyChanges(patch, current);
    // Who set the repository URL decides where git credentials may go (runtime/git/credentials.ts). The admin
    // sending it, even unchanged, vouches for it; a project token sending it back unchanged changes nothing.
    const setter = patch.repoUrl !== undefined && (byAdmin || patch.repoUrl !== current.repoUrl) ? { repoUrlByAdmin: byAdmin } : {};
    const updated = await updateProject(deps.db, projectId, { ...patch, ...setter });
    if (updated === 'name_taken') throw new ApiError(409, 'project_exists', `A project named "${patch.name}" already exists`, 'name');
    if (!updated) throw new ApiError(404, 'project_not_found', `No project ${projectId}`, 'projectId');
    req.log.info({ projectId, changed: Object.keys(patch) }, 'project settings changed');
    if (patch.briefingTime !== undefined || patch.timezone !== undefined) await syncSchedules(deps, req.log, updated);
    return updated;
  });

  const deleteDoc = routeDoc({ summary: 'Delete a project, its secrets, findings, notifications and schedules (admin token)', tags: ['projects'], params: projectParams });
  app.delete('/api/projects/:projectId', { schema: deleteDoc }, async (req, reply) => {
    requireAdmin(req);
    const { projectId } = parseInput(projectParams, req.params, 'params');
    if (!(await deleteProject(deps.db, projectId))) throw new ApiError(404, 'project_not_found', `No project ${projectId}`, 'projectId');
    try {
      await withinDeadline(deps.client, () => deleteProjectSchedules(deps.client, projectId));
    } catch (err) {
      // Left behind, they find no project and do nothing; the worker removes them at its next start.
      req.log.warn({ projectId, reason: (err as Error).message }, 'project schedules not deleted');
    }
    // Its workspace and disk go too: the disk would otherwise stay mounted, and its image on the host's disk.
    if (deps.home) {
      await removeProjectDisk(deps.home, workspaceLayout(deps.home, projectId).root, projectId).catch((err: Error) =>
        req.log.warn({ projectId, reason: err.message }, 'project workspace not removed'),
      );
    }
    req.log.info({ projectId }, 'project deleted');
    return reply.code(204).send();
  });

  const listDoc = routeDoc({ summary: "The project's conversations, newest first", tags: ['projects'], params: projectParams, querystring: listQuery });
  app.get('/api/projects/:projectId/conversations', { schema: listDoc }, async (req) => {
    const { projectId } = parseInput(projectParams, req.params, 'params');
    requireAccess(req, projectId);
    const { limit } = parseInput(listQuery, req.query, 'query');
    await requireProject(deps, projectId);
    return { conversations: await listConversations(deps.db, projectId, limit) };
  });

  /** Stores one of the project's secrets (git token, deploy key, deployer token, webhook secret); never read back. */
  const secretDoc = routeDoc({ summary: 'Store a project secret (never read back)', tags: ['projects'], params: secretParams, body: secretBody });
  app.put('/api/projects/:projectId/secrets/:name', { schema: secretDoc }, async (req, reply) => {
    const { projectId, name } = parseInput(secretParams, req.params, 'params');
    requireAccess(req, projectId);
    const { value } = parseInput(secretBody, req.body, 'body');
    await requireProject(deps, projectId);
    await setProjectSecret(deps.db, projectId, name, value);
    return reply.code(204).send();
  });

  /** What the project's model calls cost, by day, tier and model. */
  const usageDoc = routeDoc({ summary: 'Model spending by day, tier and model', tags: ['projects'], params: projectParams, querystring: usageQuery });
  app.get('/api/projects/:projectId/usage', { schema: usageDoc }, async (req) => {
    const { projectId } = parseInput(projectParams, req.params, 'params');
    requireAccess(req, projectId);
    const { days } = parseInput(usageQuery, req.query, 'query');
    await requireProject(deps, projectId);
    const usage = await projectUsage(deps.db, projectId, days);
    return { days, usage, totalUsd: usage.reduce((sum, u) => sum + u.costUsd, 0) };
  });
}
