/**
 * How many local activities one worker runs at once, from its Postgres pool.
 *
 * Local activities (`db` in workflows/activity-profiles.ts) are short queries that run inside the worker, each
 * holding one connection of the worker's pool while it runs. The regular activities draw on the same pool and
 * can hold two connections each (the workspace lock's transaction and a query inside it), so they get first
 * claim on twice their number, and local activities get what is left: 40 − 2 × 16 = 8 with the defaults.
 *
 * Unbounded, the SDK would start up to 100 at once. The ones the pool cannot serve would queue inside it,
 * fail after its 10-second connection timeout (db/client.ts) and retry with backoff, holding up every workflow
 * task that waits on them, while the regular activities queue behind them for connections. Bounded, they wait
 * for a slot in the SDK instead, where nothing times out, and the regular activities keep their connections.
 *
 * A pool too small for that (WORKER_DB_POOL_SIZE below twice WORKER_MAX_ACTIVITIES) still leaves a floor of
 * slots so workflows move at all; the two then share the pool's queue, as before the bound.
 */
export const MIN_LOCAL_ACTIVITY_SLOTS = 2;

export function localActivitySlots({ dbPoolSize, maxActivities }: { dbPoolSize: number; maxActivities: number }): number {
  return Math.max(MIN_LOCAL_ACTIVITY_SLOTS, dbPoolSize - 2 * maxActivities);
}
