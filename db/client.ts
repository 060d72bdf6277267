import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema.js';

export type Db = NodePgDatabase<typeof schema>;
/** A database handle or an open transaction on it: query functions accept either. */
export type DbOrTx = Db | Parameters<Parameters<Db['transaction']>[0]>[0];

export type Database = { pool: pg.Pool; db: Db; close(): Promise<void> };

/**
 * One pool per process. A connection Postgres drops (restart, failover, a terminated backend) is discarded
 * and replaced on next use. pg listens for that drop only while a connection sits idle in the pool; one that
 * is checked out between two queries (a transaction around git work holds one for seconds) would raise an
 * unhandled 'error' and kill the process. Every connection gets a listener: the drop then surfaces as the
 * next query's error, which the activity retries.
 */
export function connectDatabase(url: string, options: { max?: number; onError?: (err: Error) => void } = {}): Database {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, connectionTimeoutMillis: 10_000, keepAlive: true });
  pool.on('connect', (client) => client.on('error', (err) => options.onError?.(err)));
  // An idle connection's drop reaches the pool too; the connection's own listener has reported it.
  pool.on('error', () => undefined);
  return { pool, db: drizzle(pool, { schema }), close: () => pool.end() };
}
