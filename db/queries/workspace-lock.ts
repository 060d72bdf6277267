import { sql } from 'drizzle-orm';
import type { Db } from '../client.js';

/**
 * Serialises changes to a project's shared clone (worktree and branch bookkeeping) across parallel tasks,
 * worker processes and the API's terminal: a transaction-scoped advisory lock on the project.
 */
export function withWorkspaceLock<T>(db: Db, projectId: string, work: () => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`workspace:${projectId}`}))`);
    return work();
  });
}
