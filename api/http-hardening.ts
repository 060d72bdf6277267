/**
 * What every route gets besides its handler: request ids echoed in `x-request-id`, CORS for the configured
 * origins, a rate limit per caller, and the OpenAPI document at /api/docs. Registered before the routes, since
 * the rate limit and the document attach to routes as they are added.
 */
import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyRequest, RawRequestDefaultExpression } from 'fastify';
import { ApiError } from './errors.js';

export type HttpSettings = {
  /** Browser origins allowed to call the API; empty: same-origin only (no CORS headers at all). */
  corsOrigins?: string[];
  /** Requests per caller (token, or IP without one) per minute. */
  rateLimitPerMinute?: number;
  /** Wrong tokens and forged tickets an address may send per minute before its next ones get 429 (auth.ts). */
  wrongTokenLimitPerMinute?: number;
};

export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;

/** A caller's request id is kept when it is short and plain, so it can be followed across services' logs. */
const CALLER_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** fastify's `genReqId`: the caller's `x-request-id` when usable, else a new uuid. */
export function requestIdOf(req: RawRequestDefaultExpression): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CALLER_REQUEST_ID.test(given) ? given : randomUUID();
}

/** The rate limit's bucket: one per token (all admin calls share one), the IP for calls without one. */
const rateKey = (req: FastifyRequest) =>
  req.principal?.kind === 'admin' ? 'admin' : req.principal?.kind === 'project' ? `project:${req.principal.projectId}` : `ip:${req.ip}`;

export function registerHardening(app: FastifyInstance, settings: HttpSettings, version: string) {
  // First hook of all, so even a 401 or 429 names the request the logs know it by.
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  const origins = settings.corsOrigins ?? [];
  if (origins.length > 0) {
    void app.register(cors, {
      origin: origins,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-request-id'],
      exposedHeaders: ['x-request-id', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
      maxAge: 600,
    });
  }

  void app.register(rateLimit, {
    global: true,
    max: settings.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE,
    timeWindow: 60_000,
    // After the auth hook (onRequest), so the bucket is the authenticated caller; before the body is parsed.
    hook: 'preParsing',
    keyGenerator: rateKey,
    // Health probes come from load balancers every few seconds and must never be refused for it.
    allowList: (req) => req.routeOptions.url === '/health',
    errorResponseBuilder: (_req, ctx) =>
      new ApiError(429, 'rate_limited', `Too many requests: at most ${ctx.max} a minute; try again in ${Math.max(1, Math.ceil(ctx.ttl / 1000))} s`),
  });

  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'VIBN API',
        version,
        description: 'Errors always have the shape {error: {code, message, field?}}. Send Authorization: Bearer <admin or project token>.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  void app.register(swaggerUi, { routePrefix: '/api/docs' });
}
