import { registerSecrets } from '../../lib/redact.js';
import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import type { GitCredentials } from '../../runtime/git/credentials.js';
import { projects, projectSecrets } from '../schema.js';

/** The secrets a project can hold; each is read only by the one part of VIBN that needs it. */
export const PROJECT_SECRET_NAMES = ['git_token', 'git_ssh_key', 'git_known_hosts', 'coolify_token', 'deploy_webhook_secret', 'gitea_webhook_secret'] as const;
export type ProjectSecretName = (typeof PROJECT_SECRET_NAMES)[number];

/** One secret's value, or `undefined` when the project has none by that name. Never log what this returns. */
export async function getProjectSecret(db: DbOrTx, projectId: string, name: ProjectSecretName): Promise<string | undefined> {
  const [row] = await db
    .select({ value: projectSecrets.value })
    .from(projectSecrets)
    .where(and(eq(projectSecrets.projectId, projectId), eq(projectSecrets.name, name)));
  // From here on this process redacts the value from every event and log line.
  registerSecrets([row?.value]);
  return row?.value;
}

/** Stores (or replaces) one secret. */
export async function setProjectSecret(db: DbOrTx, projectId: string, name: ProjectSecretName, value: string): Promise<void> {
  await db
    .insert(projectSecrets)
    .values({ projectId, name, value })
    .onConflictDoUpdate({ target: [projectSecrets.projectId, projectSecrets.name], set: { value, updatedAt: sql`now()` } });
}

/**
 * How VIBN authenticates to the project's git server: its token, else its deploy key, else nothing; and
 * whether the admin set the repository URL they go to (see GitCredentials).
 */
export async function gitCredentials(db: DbOrTx, projectId: string): Promise<GitCredentials> {
  const [project] = await db.select({ repoUrlByAdmin: projects.repoUrlByAdmin }).from(projects).where(eq(projects.id, projectId));
  const remoteSetByAdmin = project?.repoUrlByAdmin ?? false;
  const token = await getProjectSecret(db, projectId, 'git_token');
  if (token) return { kind: 'token', token, remoteSetByAdmin };
  const privateKey = await getProjectSecret(db, projectId, 'git_ssh_key');
  if (privateKey) return { kind: 'ssh_key', privateKey, knownHosts: await getProjectSecret(db, projectId, 'git_known_hosts'), remoteSetByAdmin };
  return { kind: 'none' };
}
