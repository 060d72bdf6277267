import type { Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { routeDoc } from '../openapi.js';

export type HealthDeps = { pool: pg.Pool; temporal: Connection };

type Probe = { ok: true } | { ok: false; error: string };

const PROBE_TIMEOUT_MS = 2_000;

async function probe(check: (signal: AbortSignal) => Promise<unknown>): Promise<Probe> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`));
    }, PROBE_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(controller.signal), timeout]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error).message || String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** GET /health: 200 when Postgres and Temporal both answer, else 503 naming what is down and why. */
export function healthRoutes(app: FastifyInstance, deps: HealthDeps) {
  const doc = routeDoc({ summary: 'Whether Postgres and Temporal answer (public)', tags: ['health'], public: true });
  app.get('/health', { schema: doc }, async (_req, reply) => {
    const [postgres, temporal] = await Promise.all([
      probe(() => deps.pool.query('select 1')),
      probe((signal) => deps.temporal.withAbortSignal(signal, () => deps.temporal.workflowService.getSystemInfo({}))),
    ]);
    const ok = postgres.ok && temporal.ok;
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', postgres, temporal });
  });
}
