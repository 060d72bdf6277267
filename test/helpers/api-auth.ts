/**
 * Tests build the app with a known admin token. `withAdminToken` makes every `app.inject` of a test app carry
 * it, so tests about other things read as before; a call that sets its own `authorization` keeps it.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';

export const TEST_ADMIN_TOKEN = 'vibn_admin_test-token-0123456789';

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The app, its `inject` sending the admin token unless the call names another `authorization`. */
export function withAdminToken(app: FastifyInstance, token = TEST_ADMIN_TOKEN): FastifyInstance {
  const inject = app.inject.bind(app) as (opts: InjectOptions) => ReturnType<FastifyInstance['inject']>;
  const authed = (opts: InjectOptions) => inject({ ...opts, headers: { ...bearer(token), ...(opts.headers ?? {}) } });
  Object.defineProperty(app, 'inject', { value: authed, configurable: true, writable: true });
  return app;
}
