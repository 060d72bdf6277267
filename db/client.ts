import { sql } from 'drizzle-orm';
import { drizzle, NodePgSession, NodePgTransaction, type NodePgDatabase } from 'drizzle-orm/node-postgres';
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
  releaseTransactionsThatFailToBegin();
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, connectionTimeoutMillis: 10_000, keepAlive: true });
  pool.on('connect', (client) => client.on('error', (err) => options.onError?.(err)));
  // An idle connection's drop reaches the pool too; the connection's own listener has reported it.
  pool.on('error', () => undefined);
  return { pool, db: drizzle(pool, { schema }), close: () => pool.end() };
}

type SessionInternals = { client: pg.Pool | pg.PoolClient; dialect: never; schema: never; options: never };
type TransactionConfig = Parameters<NodePgTransaction<never, never>['setTransaction']>[0];
let beginPatched = false;

/**
 * drizzle-orm 0.45 sends a pooled transaction's `begin` before its try/finally: a connection Postgres drops at
 * that moment (a restart, a failover, a terminated backend) is never given back, so a few restarts empty the
 * pool and every later query waits for ever (drizzle-team/drizzle-orm#6023, #6241). This is the same method
 * with `begin` inside, and a connection that failed handed back as broken so the pool replaces it.
 */
function releaseTransactionsThatFailToBegin() {
  if (beginPatched) return;
  beginPatched = true;
  NodePgSession.prototype.transaction = async function transaction<T>(
    this: NodePgSession<never, never>,
    run: (tx: NodePgTransaction<never, never>) => Promise<T>,
    config?: TransactionConfig,
  ): Promise<T> {
    const self = this as unknown as SessionInternals;
    const pooled = self.client instanceof pg.Pool ? await self.client.connect() : undefined;
    const session = pooled ? new NodePgSession(pooled, self.dialect, self.schema, self.options) : this;
    const tx = new NodePgTransaction<never, never>(self.dialect, session, self.schema);
    let broken: Error | undefined;
    try {
      try {
        const settings = config ? (tx as unknown as { getTransactionConfigSQL(c: TransactionConfig): ReturnType<typeof sql> }).getTransactionConfigSQL(config) : undefined;
        await tx.execute(sql`begin${settings ? sql` ${settings}` : undefined}`);
      } catch (err) {
        broken = err as Error;
        throw err;
      }
      try {
        const result = await run(tx);
        await tx.execute(sql`commit`);
        return result;
      } catch (err) {
        await tx.execute(sql`rollback`).catch((rollbackErr: Error) => {
          broken = rollbackErr;
        });
        throw err;
      }
    } finally {
      pooled?.release(broken);
    }
  } as NodePgSession<never, never>['transaction'];
}
