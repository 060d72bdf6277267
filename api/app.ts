import type { DiskSetting } from '../runtime/workspace/project-disk.js';
import type { Client, Connection } from '@temporalio/client';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type pg from 'pg';
import type { Db } from '../db/client.js';
import type { Logger } from '../lib/logger.js';
import type { RequestSettings } from '../workflows/request-contract.js';
import { conversationReader, registerAuth } from './auth.js';
import { toErrorResponse } from './errors.js';
import { registerHardening, requestIdOf, type HttpSettings } from './http-hardening.js';
import { conversationRoutes } from './routes/conversations.js';
import { deployRoutes } from './routes/deploys.js';
import { findingRoutes } from './routes/findings.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { sandboxHealth } from '../runtime/sandbox/index.js';
import { memoryRoutes } from './routes/memory.js';
import { notificationRoutes } from './routes/notifications.js';
import { sessionRoutes } from './routes/sessions.js';
import { treeRoutes } from './routes/tree.js';
import { projectRoutes } from './routes/projects.js';
import { requestRoutes } from './routes/requests.js';
import { tokenRoutes } from './routes/tokens.js';
import { webhookRoutes } from './routes/webhooks.js';
import { streamRoutes } from './stream/routes.js';
import { consoleRoutes, sendConsolePage, wantsConsolePage } from './console.js';
import { terminalRoutes } from './terminal/routes.js';
import { revocationWatch } from './revocation-watch.js';
import { ticketIssuer } from './tickets.js';
import { RecentTokens } from './wrong-token-limit.js';

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
  /** The bearer token that may do everything (create projects, issue project tokens); at least 16 characters. */
  adminToken: string;
  /** CORS origins and the rate limit; defaults: same-origin only, 600 requests a minute per token. */
  http?: HttpSettings;
  /** Base URL of the Temporal Web UI; conversations link to their workflow there when it is set. */
  temporalUiUrl?: string;
  /** The built web console (console/dist), served at /; without it / answers 404. */
  consoleDir?: string;
  /** Run terminal shells without bubblewrap (only where the operator said VIBN_UNSANDBOXED=1). */
  unsandboxed?: boolean;
  /** Each project's disk, mounted before a terminal opens; default: bounded (DEFAULT_DISK_BYTES). */
  disk?: DiskSetting;
  /** Where bwrap is, for /health's sandbox check (default: `bwrap` on PATH). */
  bwrapPath?: string;
  /** A terminal with neither input nor output for this long is closed. */
  terminalIdleMs?: number;
};

const API_VERSION = '0.1.0';

/** Builds the HTTP app without listening, so tests can inject requests or listen on port 0. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    // Our own id rule (see requestIdOf) rather than trusting any header value into the logs.
    requestIdHeader: false,
    genReqId: requestIdOf,
    // Errors fastify's router raises before any route (a malformed or overlong URL) get our error shape too.
    frameworkErrors: (err, _req, reply) => {
      const { status, body } = toErrorResponse(err);
      // fastify types this reply by the (absent) route's schema; it is a plain reply.
      return (reply as unknown as FastifyReply).code(status).send(body);
    },
  });
  // Route schemas are documentation (the OpenAPI document); zod in each handler validates, with one error shape.
  app.setValidatorCompiler(() => (value) => ({ value }));
  // JSON only: a text/plain body is answered 415 rather than reaching a route as a string.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toErrorResponse(err);
    // One error shape for every route; internal details stay in the log.
    if (status >= 500) req.log.error({ err }, 'request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) =>
    deps.consoleDir && wantsConsolePage(req)
      ? sendConsolePage(reply)
      : reply.code(404).send({ error: { code: 'not_found', message: `No route for ${req.method} ${req.url.split('?')[0]}` } }),
  );
  registerHardening(app, deps.http ?? {}, API_VERSION);
  // A refused WebSocket upgrade (401, 403, 404) is answered over plain HTTP; nothing else would ever close that
  // socket, and an open one holds app.close() forever.
  app.addHook('onResponse', async (req, reply) => {
    if (req.headers.upgrade && reply.statusCode >= 400) req.raw.socket?.destroy();
  });
  const tickets = ticketIssuer(deps.db, deps.adminToken);
  const recentTokens = new RecentTokens();
  // Closes the sockets of a revoked token; shared by the token routes, the stream and the terminal.
  const revocations = revocationWatch(deps.db, deps.logger);
  app.addHook('onClose', async () => revocations.close());
  // Once CORS has loaded, so its headers are on a 401 too (a browser could not read the refusal otherwise).
  app.after(() => registerAuth(app, { ...deps, tickets, recentTokens }));
  // In a plugin, so the rate limit and the OpenAPI document (registered above) see every route as it is added.
  void app.register(async (api) => {
    // Once for every WebSocket route (the stream, the terminal): each registration would answer every upgrade.
    await api.register(websocket, { options: { maxPayload: 64 * 1024 } });
    healthRoutes(api, { ...deps, sandbox: () => sandboxHealth(deps.unsandboxed ? 'unsandboxed' : { bwrapPath: deps.bwrapPath }) });
    if (deps.home) sessionRoutes(api, { db: deps.db, home: deps.home });
    if (deps.home) treeRoutes(api, { db: deps.db, home: deps.home });
    memoryRoutes(api, deps);
    eventRoutes(api, deps);
    projectRoutes(api, deps);
    tokenRoutes(api, { ...deps, tickets, revocations, recentTokens });
    requestRoutes(api, deps);
    conversationRoutes(api, deps);
    deployRoutes(api, deps);
    findingRoutes(api, deps);
    notificationRoutes(api, deps);
    webhookRoutes(api, deps);
    streamRoutes(api, { ...deps, revocations }, { authorize: conversationReader(deps.db) });
    if (deps.home) terminalRoutes(api, { db: deps.db, home: deps.home, logger: deps.logger, unsandboxed: deps.unsandboxed, disk: deps.disk, idleMs: deps.terminalIdleMs, revocations });
  });
  if (deps.consoleDir) consoleRoutes(app, deps.consoleDir);
  return app;
}
