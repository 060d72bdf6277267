/**
 * Who may call the API. Every /api route but the docs and the HMAC-verified webhooks takes
 * `Authorization: Bearer <token>`: the admin token may do everything; a project's token only what concerns
 * that project. The `onRequest` hook below finds the caller once; routes then call `requireAccess` (or
 * `requireAdmin`) as soon as they know which project a resource belongs to.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/client.js';
import { tokenIdOf } from '../db/queries/access-tokens.js';
import { getConversationHead } from '../db/queries/conversation-views.js';
import { findProjectByTokenHash } from '../db/queries/projects.js';
import { ApiError } from './errors.js';
import { CONSOLE_WILDCARD } from './console.js';
import type { TicketIssuer } from './tickets.js';
import { DEFAULT_WRONG_TOKEN_LIMIT_PER_MINUTE, type RecentTokens, WrongTokenLimit } from './wrong-token-limit.js';

/**
 * The caller a valid bearer token (or a ticket) names. A project's `tokenId` says which of its tokens, so a
 * socket or a ticket ends with that token (revocation-watch.ts).
 */
export type Principal = { kind: 'admin' } | { kind: 'project'; projectId: string; tokenId: string };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every route that takes a bearer token. */
    principal?: Principal;
  }
}

/** What is stored for a token: its SHA-256, hex. Tokens are random, so no salt or slow hash is needed. */
export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** A new project token, `vibn_<first 8 hex of the project id>_<32 random bytes>`; shown once, stored hashed. */
export const newProjectToken = (projectId: string) =>
  `vibn_${projectId.replace(/-/g, '').slice(0, 8).toLowerCase()}_${randomBytes(32).toString('base64url')}`;

/** Constant-time equality of two hex SHA-256 digests. */
function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}

/**
 * Whether a path takes a bearer token: everything under /api/ except the OpenAPI document and UI (public
 * description, no data) and the Gitea webhooks (a machine that signs with HMAC and cannot send a bearer).
 */
export function needsBearer(routePath: string): boolean {
  if (!routePath.startsWith('/api/')) return false;
  if (routePath.startsWith('/api/webhooks/')) return false;
  return !(routePath === '/api/docs' || routePath.startsWith('/api/docs/'));
}

/**
 * Routes a browser opens as a WebSocket or EventSource, which cannot carry an Authorization header: these also
 * take a stream ticket in `?ticket=` (see tickets.ts).
 */
export const TICKET_ROUTES: ReadonlySet<string> = new Set(['/api/stream', '/api/conversations/:id/stream', '/api/projects/:projectId/terminal']);

const unauthorized = (code: string, message: string) => new ApiError(401, code, message, 'authorization');

function bearerOf(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S{1,512})[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Adds the hook that authenticates every request to a bearer route, answering 401 for no or a bad token, and
 * 429 for a wrong one from an address that sent `wrongTokenLimitPerMinute` wrong ones this minute.
 */
export function registerAuth(
  app: FastifyInstance,
  deps: {
    db: Db;
    adminToken: string;
    tickets: TicketIssuer;
    /** Shared with the token routes, which add each token they issue. */
    recentTokens: RecentTokens;
    http?: { wrongTokenLimitPerMinute?: number };
  },
): void {
  if (deps.adminToken.length < 16) throw new Error('the admin token must be at least 16 characters');
  const adminHash = hashToken(deps.adminToken);
  const wrong = new WrongTokenLimit(deps.http?.wrongTokenLimitPerMinute ?? DEFAULT_WRONG_TOKEN_LIMIT_PER_MINUTE);
  const { recentTokens } = deps;

  /** Answers 429 when the address is over its limit of wrong attempts. */
  const refuseIfLimited = (req: FastifyRequest, reply: FastifyReply) => {
    const wait = wrong.retryAfter(req.ip);
    if (wait === 0) return;
    reply.header('retry-after', String(wait));
    // Said once per address and window (below); each refusal after that would only flood the log.
    req.log.debug('request refused: too many wrong tokens from this address');
    throw new ApiError(429, 'rate_limited', `Too many wrong tokens from this address; try again in ${wait} s`, 'authorization');
  };
  /** Counts a wrong attempt; the one that reaches the limit is still answered 401, the next ones 429. */
  const wrongAttempt = (req: FastifyRequest, error: ApiError) => {
    wrong.record(req.ip);
    if (wrong.retryAfter(req.ip) > 0) req.log.warn({ address: req.ip }, 'too many wrong tokens from one address: its next guesses get 429 for the rest of the minute');
    return error;
  };

  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (req, reply) => {
    // A CORS preflight carries no credentials by design; it reaches no handler.
    if (req.method === 'OPTIONS') return;
    // The matched route's pattern, so no spelling of the URL slips past; the raw path for unknown routes.
    // The console's static wildcard matches any path, so for it the raw path decides (an /api typo still needs a token).
    const matched = req.routeOptions.url;
    const routePath = matched && matched !== CONSOLE_WILDCARD ? matched : (req.url.split('?')[0] ?? '');
    if (!needsBearer(routePath)) return;
    const token = bearerOf(req.headers.authorization);
    const ticket = (req.query as { ticket?: unknown } | undefined)?.ticket;
    if (!token && typeof ticket === 'string' && TICKET_ROUTES.has(routePath)) {
      // A ticket this API signed is never a guess: only forged ones are limited, so an honest client whose
      // ticket expired or was used is told so, and is not locked out for asking again.
      if (!deps.tickets.signed(ticket)) refuseIfLimited(req, reply);
      const redeemed = await deps.tickets.redeem(ticket);
      if (redeemed.ok) {
        req.principal = redeemed.principal;
        return;
      }
      if (redeemed.reason === 'forged') throw wrongAttempt(req, unauthorized('invalid_ticket', 'The stream ticket is not valid; ask POST /api/stream/tickets for a new one'));
      throw unauthorized(
        'invalid_ticket',
        redeemed.reason === 'expired'
          ? 'The stream ticket has expired; ask POST /api/stream/tickets for a new one'
          : 'The stream ticket was already used (a ticket opens one connection), or the token it was issued for was revoked; ask POST /api/stream/tickets for a new one',
      );
    }
    if (!token) throw unauthorized('unauthorized', 'Send Authorization: Bearer <token>, the admin token or the project token');
    const hash = hashToken(token);
    if (sameDigest(hash, adminHash)) {
      req.principal = { kind: 'admin' };
      return;
    }
    // Over the limit, only a token valid here lately is still looked up; anything else is a guess.
    if (!recentTokens.has(hash)) refuseIfLimited(req, reply);
    // The database compares digests, never the token itself, so its timing tells nothing about a token.
    const project = await findProjectByTokenHash(deps.db, hash);
    if (project && sameDigest(hash, project.tokenHash)) {
      recentTokens.add(hash);
      req.principal = { kind: 'project', projectId: project.id, tokenId: tokenIdOf(project.tokenHash) };
      return;
    }
    recentTokens.delete(hash);
    req.log.info('request refused: unknown bearer token');
    throw wrongAttempt(req, unauthorized('invalid_token', 'The bearer token is not valid (revoked, or never issued)'));
  });
}

export function principalOf(req: FastifyRequest): Principal {
  // Only reachable if a bearer route was wired outside the hook's reach: refuse rather than serve.
  if (!req.principal) throw unauthorized('unauthorized', 'Send Authorization: Bearer <token>');
  return req.principal;
}

/** Passes for the admin token and for the token of `projectId`; otherwise 403. */
export function requireAccess(req: FastifyRequest, projectId: string): void {
  const principal = principalOf(req);
  if (principal.kind === 'admin') return;
  if (principal.projectId.toLowerCase() === projectId.toLowerCase()) return;
  throw new ApiError(403, 'forbidden', 'This token belongs to another project');
}

/** Passes for the admin token only; otherwise 403. */
export function requireAdmin(req: FastifyRequest): void {
  if (principalOf(req).kind !== 'admin') throw new ApiError(403, 'admin_only', 'Only the admin token may do this');
}

/** The one project a project token may see, or `undefined` for the admin (who sees every project). */
export function scopedProjectId(req: FastifyRequest): string | undefined {
  const principal = principalOf(req);
  return principal.kind === 'project' ? principal.projectId : undefined;
}

/** For the live stream: whether the request's token may read a conversation (the admin, or its project's token). */
export function conversationReader(db: Db) {
  return async (req: FastifyRequest, conversationId: string): Promise<boolean> => {
    const principal = req.principal;
    if (!principal) return false;
    if (principal.kind === 'admin') return true;
    const head = await getConversationHead(db, conversationId);
    return head !== undefined && head.projectId.toLowerCase() === principal.projectId.toLowerCase();
  };
}
