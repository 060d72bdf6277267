/**
 * Tests build the app with a known admin token. `withAdminToken` makes every `app.inject` of a test app carry
 * it, so tests about other things read as before; a call that sets its own `authorization` keeps it.
 */
import type { Client, Connection } from '@temporalio/client';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { productLogger } from './logs.js';
import type { AppDeps } from '../../api/app.js';
import type { Database } from '../../db/client.js';
import { loadConfig } from '../../lib/config.js';

export const TEST_ADMIN_TOKEN = 'vibn_admin_test-token-0123456789';

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The app, its `inject` sending the admin token unless the call names another `authorization`. */
export function withAdminToken(app: FastifyInstance, token = TEST_ADMIN_TOKEN): FastifyInstance {
  const inject = app.inject.bind(app) as (opts: InjectOptions) => ReturnType<FastifyInstance['inject']>;
  const authed = (opts: InjectOptions) => inject({ ...opts, headers: { ...bearer(token), ...(opts.headers ?? {}) } });
  Object.defineProperty(app, 'inject', { value: authed, configurable: true, writable: true });
  return app;
}

/** The app's dependencies in a test: its database, the run's Temporal, quiet logs and the test admin token. */
export function testAppDeps(
  database: Database,
  temporal: { connection: Connection; client: Client; taskQueue: string },
  over: Partial<AppDeps> = {},
): AppDeps {
  return {
    pool: database.pool,
    db: database.db,
    temporal: temporal.connection,
    client: temporal.client,
    taskQueue: temporal.taskQueue,
    requestSettings: loadConfig({}).requests,
    logger: productLogger('api').logger,
    adminToken: TEST_ADMIN_TOKEN,
    ...over,
  };
}
