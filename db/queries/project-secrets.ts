import { registerSecrets } from '../../lib/redact.js';
import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { projectSecrets } from '../schema.js';

/** The secrets a project can hold; each is read only by the one part of VIBN that needs it. */
export type ProjectSecretName = 'git_token' | 'git_ssh_key' | 'coolify_token' | 'deploy_webhook_secret' | 'gitea_webhook_secret';

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
