import type { Connection } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Logger } from '../lib/logger.js';
import { healthRoutes } from './routes/health.js';

export type AppDeps = { pool: pg.Pool; temporal: Connection; logger: Logger };

/** Builds the HTTP app without listening, so tests can inject requests or listen on port 0. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, bodyLimit: 1024 * 1024 });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    // One error shape for every route; internal details stay in the log.
    return reply.code(status).send({
      error: { code: err.code ?? (status >= 500 ? 'internal' : 'bad_request'), message: status >= 500 ? 'Internal error' : err.message },
    });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: { code: 'not_found', message: `No route for ${req.method} ${req.url}` } }),
  );
  healthRoutes(app, deps);
  return app;
}
