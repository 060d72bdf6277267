import { asc, eq } from 'drizzle-orm';
import type { NotificationPrefs } from '../../core/notifications.js';
import type { Db } from '../client.js';
import { monitorFindings, notifications, projectSecrets, projects } from '../schema.js';

import type { DeploySettings } from '../../core/deploy-settings.js';

export type { DeploySettings };

export type NewProject = {
  name: string;
  repoUrl: string;
  defaultBranch: string;
  deploy: DeploySettings;
  allowNetwork?: boolean;
  timezone: string;
  briefingTime?: string;
  /** Whether the admin token set `repoUrl`; kept out of the API's view. */
  repoUrlByAdmin?: boolean;
};

/** What PATCH /api/projects/:id may change; absent fields stay as they are. */
export type ProjectPatch = Partial<NewProject> & {
  monthlyBudgetUsd?: number | null;
  /** Where email notifications go; null: in-app only. */
  notifyEmail?: string | null;
  notificationPrefs?: NotificationPrefs;
};

/** A project as the API shows it: never the token hash. */
export type ProjectView = {
  id: string;
  name: string;
  repoUrl: string;
  defaultBranch: string;
  timezone: string;
  briefingTime: string;
  deploy: Record<string, unknown> | null;
  allowNetwork: boolean;
  /** Model spending allowed per calendar month, in USD; null: the configured default. */
  monthlyBudgetUsd: number | null;
  /**
   * Where email notifications go; absent while unset (in-app only). Absent rather than null, like
   * `notificationPrefs` while it holds only defaults, so the view of a project that never set them is unchanged.
   */
  notifyEmail?: string;
  /** Which notification kinds go to which channel, where the founder changed the defaults (core/notifications.ts). */
  notificationPrefs?: NotificationPrefs;
  createdAt: string;
  updatedAt: string;
};

const columns = {
  id: projects.id,
  name: projects.name,
  repoUrl: projects.repoUrl,
  defaultBranch: projects.defaultBranch,
  timezone: projects.timezone,
  briefingTime: projects.briefingTime,
  deploy: projects.deploy,
  allowNetwork: projects.allowNetwork,
  monthlyBudgetUsd: projects.monthlyBudgetUsd,
  notifyEmail: projects.notifyEmail,
  notificationPrefs: projects.notificationPrefs,
  createdAt: projects.createdAt,
  updatedAt: projects.updatedAt,
};

type Row = Omit<ProjectView, 'createdAt' | 'updatedAt' | 'monthlyBudgetUsd' | 'notifyEmail' | 'notificationPrefs'> & {
  createdAt: Date;
  updatedAt: Date;
  monthlyBudgetUsd: string | null;
  notifyEmail: string | null;
  notificationPrefs: NotificationPrefs;
};

const toView = ({ notifyEmail, notificationPrefs, ...row }: Row): ProjectView => ({
  ...row,
  deploy: row.deploy ?? null,
  monthlyBudgetUsd: row.monthlyBudgetUsd === null ? null : Number(row.monthlyBudgetUsd),
  ...(notifyEmail ? { notifyEmail } : {}),
  ...(notificationPrefs && Object.keys(notificationPrefs).length > 0 ? { notificationPrefs } : {}),
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

/**
 * Inserts a project; returns its id, or `undefined` when the name is taken. The unique index decides, so two
 * concurrent creates of one name cannot both succeed.
 */
export async function createProject(db: Db, project: NewProject): Promise<{ id: string } | undefined> {
  const [row] = await db
    .insert(projects)
    .values(project)
    .onConflictDoNothing({ target: projects.name })
    .returning({ id: projects.id });
  return row;
}

/** Every project, oldest first. */
export async function listProjects(db: Db): Promise<ProjectView[]> {
  const rows = await db.select(columns).from(projects).orderBy(asc(projects.createdAt), asc(projects.name));
  return rows.map(toView);
}

/** One project by id, or `undefined`. */
export async function getProject(db: Db, id: string): Promise<ProjectView | undefined> {
  const [row] = await db.select(columns).from(projects).where(eq(projects.id, id));
  return row ? toView(row) : undefined;
}

/**
 * Changes a project's settings; returns the project as it now is, `undefined` when there is none, or 'name_taken'
 * when the new name belongs to another project.
 */
export async function updateProject(db: Db, id: string, patch: ProjectPatch): Promise<ProjectView | 'name_taken' | undefined> {
  const { monthlyBudgetUsd, ...rest } = patch;
  const set = {
    ...rest,
    ...(monthlyBudgetUsd === undefined ? {} : { monthlyBudgetUsd: monthlyBudgetUsd === null ? null : String(monthlyBudgetUsd) }),
    updatedAt: new Date(),
  };
  try {
    const [row] = await db.update(projects).set(set).where(eq(projects.id, id)).returning(columns);
    return row ? toView(row) : undefined;
  } catch (err) {
    if ((err as { cause?: { code?: string }; code?: string }).code === '23505' || (err as { cause?: { code?: string } }).cause?.code === '23505') return 'name_taken';
    throw err;
  }
}

/**
 * Sets (or with `null` clears) the hash of the project's API token: one active token per project, so setting
 * a new one revokes the old. Returns false when there is no such project.
 */
export async function setProjectTokenHash(db: Db, id: string, tokenHash: string | null): Promise<boolean> {
  const rows = await db.update(projects).set({ tokenHash }).where(eq(projects.id, id)).returning({ id: projects.id });
  return rows.length > 0;
}

/** The project whose API token hashes to `tokenHash`, with the stored hash, or `undefined`. */
export async function findProjectByTokenHash(db: Db, tokenHash: string): Promise<{ id: string; tokenHash: string } | undefined> {
  const [row] = await db.select({ id: projects.id, tokenHash: projects.tokenHash }).from(projects).where(eq(projects.tokenHash, tokenHash));
  return row?.tokenHash ? { id: row.id, tokenHash: row.tokenHash } : undefined;
}

/**
 * Deletes a project with its secrets, findings and notifications; returns false when there was none. Its
 * conversations, events and model-call accounting stay, as the record of what was done and spent.
 */
export async function deleteProject(db: Db, id: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const rows = await tx.delete(projects).where(eq(projects.id, id)).returning({ id: projects.id });
    if (rows.length === 0) return false;
    await tx.delete(projectSecrets).where(eq(projectSecrets.projectId, id));
    await tx.delete(monitorFindings).where(eq(monitorFindings.projectId, id));
    await tx.delete(notifications).where(eq(notifications.projectId, id));
    return true;
  });
}

/** Records that the founder opened the console now; false when there is no such project. */
export async function recordVisit(db: Db, id: string, at = new Date()): Promise<boolean> {
  const rows = await db.update(projects).set({ lastVisitAt: at }).where(eq(projects.id, id)).returning({ id: projects.id });
  return rows.length > 0;
}

/** What the monitor, the briefing and notifications need of a project (kept out of the API's view). */
export type ProjectOutreach = {
  id: string;
  name: string;
  timezone: string;
  briefingTime: string;
  notifyEmail: string | null;
  notificationPrefs: NotificationPrefs;
  lastVisitAt: Date | null;
};

export async function getProjectOutreach(db: Db, id: string): Promise<ProjectOutreach | undefined> {
  const [row] = await db
    .select({
      id: projects.id,
      name: projects.name,
      timezone: projects.timezone,
      briefingTime: projects.briefingTime,
      notifyEmail: projects.notifyEmail,
      notificationPrefs: projects.notificationPrefs,
      lastVisitAt: projects.lastVisitAt,
    })
    .from(projects)
    .where(eq(projects.id, id));
  return row;
}
