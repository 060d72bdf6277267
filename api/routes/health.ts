import type { Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { SANDBOX_INSTALL_COMMAND, SANDBOX_PACKAGE, type SandboxHealth } from '../../core/sandbox-missing.js';
import { routeDoc } from '../openapi.js';

export type HealthDeps = {
  pool: pg.Pool;
  temporal: Connection;
  /** Whether agent commands and terminals can run in their sandbox on this machine. */
  sandbox: () => Promise<SandboxHealth>;
};

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

/**
 * GET /health: 200 when Postgres and Temporal both answer, else 503 naming what is down and why. The sandbox
 * entry says whether code can run on this machine (and what to install if not); it does not make the API
 * unhealthy, since everything else still works.
 */
export function healthRoutes(app: FastifyInstance, deps: HealthDeps) {
  const doc = routeDoc({ summary: 'Whether Postgres and Temporal answer, and whether the sandbox can run code (public)', tags: ['health'], public: true });
  app.get('/health', { schema: doc }, async (_req, reply) => {
    const [postgres, temporal, sandbox] = await Promise.all([
      probe(() => deps.pool.query('select 1')),
      probe((signal) => deps.temporal.withAbortSignal(signal, () => deps.temporal.workflowService.getSystemInfo({}))),
      deps.sandbox().catch((err: Error): SandboxHealth => ({ ok: false, reason: err.message, package: SANDBOX_PACKAGE, fix: SANDBOX_INSTALL_COMMAND })),
    ]);
    const ok = postgres.ok && temporal.ok;
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', postgres, temporal, sandbox });
  });
}
