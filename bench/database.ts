import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { connectDatabase, type Database } from '../db/client.js';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { runMigrations } from '../db/migrate.js';
import type { Logger } from '../lib/logger.js';

/** A fresh database on `serverUrl`, migrated; returns its URL and a `drop()`. */
export async function createFreshDatabase(serverUrl: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  return {
    url: url.toString(),
    async drop() {
      const again = new pg.Client({ connectionString: serverUrl });
      await again.connect();
      await again.query(`drop database if exists ${name} with (force)`);
      await again.end();
    },
  };
}

/**
 * A fresh, migrated database for one benchmark run: on DATABASE_URL's server when set, else on an embedded
 * Postgres in `home`. `stop()` drops it (and stops the embedded server).
 */
export async function createBenchDatabase(opts: { serverUrl?: string; home: string; embeddedPort: number; log: Logger }): Promise<{ database: Database; stop(): Promise<void> }> {
  let serverUrl = opts.serverUrl;
  let embedded: { stop(): Promise<void> } | undefined;
  if (!serverUrl) {
    const started = await startEmbeddedPostgres(path.join(opts.home, 'postgres'), opts.embeddedPort, opts.log);
    embedded = started;
    serverUrl = started.url;
  }
  const fresh = await createFreshDatabase(serverUrl, 'vibn_bench');
  const database = connectDatabase(fresh.url, { max: 20 });
  return {
    database,
    async stop() {
      await database.close();
      await fresh.drop();
      await embedded?.stop();
    },
  };
}
