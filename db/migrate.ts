import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { projectRoot } from '../lib/config.js';

const migrationsFolder = path.join(projectRoot, 'db', 'migrations');

// Any fixed number works; it only has to be the same in every process that migrates this database.
const MIGRATION_LOCK = 4_242_001;

/**
 * Applies the committed SQL migrations. API and worker processes both call this at start, possibly at the same
 * moment, so the run is serialised with a session-level advisory lock on one dedicated connection.
 */
export async function runMigrations(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migrate(drizzle(client), { migrationsFolder });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await client.end();
  }
}
