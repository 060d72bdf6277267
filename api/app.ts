import type { Client, Connection } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Db } from '../db/client.js';
import type { Logger } from '../lib/logger.js';
import type { RequestSettings } from '../workflows/request-contract.js';
import { toErrorResponse } from './errors.js';
import { conversationRoutes } from './routes/conversations.js';
import { deployRoutes } from './routes/deploys.js';
import { healthRoutes } from './routes/health.js';
import { sessionRoutes } from './routes/sessions.js';
import { projectRoutes } from './routes/projects.js';
import { requestRoutes } from './routes/requests.js';
import { webhookRoutes } from './routes/webhooks.js';

export type AppDeps = {
  pool: pg.Pool;
  db: Db;
  /** The connection `client` runs on; /health probes it. */
  temporal: Connection;
  /** Temporal client on the configured namespace: starts and signals request workflows. */
  client: Client;
  /** Task queue request workflows are started on. */
  taskQueue: string;
  /** Limits every new request runs under, passed into its workflow. */
  requestSettings: RequestSettings;
  logger: Logger;
  /**
   * State folder, for the live view of task worktrees. Only where the API shares the workers' disk (as in
   * `npm start`); without it the view is off.
   */
  home?: string;
};

/** Builds the HTTP app without listening, so tests can inject requests or listen on port 0. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, bodyLimit: 1024 * 1024 });
  // JSON only: a text/plain body is answered 415 rather than reaching a route as a string.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toErrorResponse(err);
    // One error shape for every route; internal details stay in the log.
    if (status >= 500) req.log.error({ err }, 'request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: { code: 'not_found', message: `No route for ${req.method} ${req.url}` } }),
  );
  healthRoutes(app, deps);
  if (deps.home) sessionRoutes(app, { db: deps.db, home: deps.home });
  projectRoutes(app, deps);
  requestRoutes(app, deps);
  conversationRoutes(app, deps);
  deployRoutes(app, deps);
  webhookRoutes(app, deps);
  return app;
}
