import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { connectDatabase, type Database } from '../../db/client.js';
import { runMigrations } from '../../db/migrate.js';

export type TestDatabase = Database & { url: string; drop(): Promise<void> };

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A fresh, migrated database on the test run's Postgres, dropped by `drop()`. */
export async function createTestDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `vibn_t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = withDatabase(serverUrl, name);
  await runMigrations(url);
  const database = connectDatabase(url);
  return {
    ...database,
    url,
    async drop() {
      await database.close();
      const again = new pg.Client({ connectionString: serverUrl });
      await again.connect();
      await again.query(`drop database if exists ${name} with (force)`);
      await again.end();
    },
  };
}
