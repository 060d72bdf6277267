import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema.js';

export type Db = NodePgDatabase<typeof schema>;
/** A database handle or an open transaction on it: query functions accept either. */
export type DbOrTx = Db | Parameters<Parameters<Db['transaction']>[0]>[0];

export type Database = { pool: pg.Pool; db: Db; close(): Promise<void> };

/**
 * One pool per process. Idle connections that Postgres drops (restart, failover) are discarded by pg and
 * replaced on next use; the error handler keeps such a drop from crashing the process.
 */
export function connectDatabase(url: string, options: { max?: number; onError?: (err: Error) => void } = {}): Database {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, connectionTimeoutMillis: 10_000 });
  pool.on('error', (err) => options.onError?.(err));
  return { pool, db: drizzle(pool, { schema }), close: () => pool.end() };
}
