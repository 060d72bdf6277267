import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { getProjectSecret } from '../../db/queries/project-secrets.js';
import { recordRepoEvent, type RepoEventCommit } from '../../db/queries/repo-events.js';
import type { AppDeps } from '../app.js';
import { ApiError, parseInput } from '../errors.js';
import { routeDoc } from '../openapi.js';
import { requireProject, uuidParam } from './projects.js';

/** Pushes carry every commit's file lists; a big push is larger than the API's usual 1 MB. */
const GITEA_BODY_LIMIT = 5 * 1024 * 1024;
/** What a recorded push keeps: enough for Assist to say what changed. */
export const MAX_COMMITS = 50;
export const MAX_MESSAGE_CHARS = 500;

const params = z.object({ projectId: uuidParam });

/** Gitea's headers on every delivery (services/webhook/deliver.go). */
const giteaHeaders = z.object({
  'x-gitea-event': z.string().trim().min(1).max(100),
  'x-gitea-delivery': z.string().trim().min(1).max(200),
});

/** The fields of Gitea's push payload (modules/structs/hook.go PushPayload) that VIBN keeps. */
const pushPayload = z.object({
  ref: z.string().max(1_000).nullish(),
  before: z.string().max(100).nullish(),
  after: z.string().max(100).nullish(),
  commits: z
    .array(
      z.object({
        id: z.string().max(100),
        message: z.string().nullish(),
        author: z.object({ name: z.string().nullish() }).nullish(),
        timestamp: z.string().max(100).nullish(),
      }),
    )
    .nullish(),
  pusher: z.object({ login: z.string().nullish(), username: z.string().nullish() }).nullish(),
});

/**
 * True when `signature` is the hex HMAC-SHA256 of `body` under `secret`, Gitea's `X-Gitea-Signature`. Compared
 * in constant time, so a caller cannot find the right signature byte by byte from response times.
 */
export function verifyGiteaSignature(body: Buffer, signature: string | undefined, secret: string): boolean {
  if (!signature || !/^[0-9a-f]{64}$/i.test(signature.trim())) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(signature.trim(), 'hex'));
}

/** A message cut to `max` characters without splitting one in half. */
const clip = (text: string, max: number) => {
  const chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, max).join('');
};

function trimCommits(commits: z.infer<typeof pushPayload>['commits']): RepoEventCommit[] {
  return (commits ?? []).slice(0, MAX_COMMITS).map((c) => ({
    id: c.id,
    message: clip(c.message ?? '', MAX_MESSAGE_CHARS),
    author: c.author?.name ?? null,
    timestamp: c.timestamp ?? null,
  }));
}

/**
 * POST /api/webhooks/gitea/:projectId: a push to the project's repository made outside VIBN, so Assist knows
 * the code changed. Signed with the project's `gitea_webhook_secret`; recorded once per delivery id.
 */
export function webhookRoutes(app: FastifyInstance, deps: Pick<AppDeps, 'db'>) {
  // Its own scope: only this route reads the raw bytes, which the signature is computed over.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: GITEA_BODY_LIMIT }, (_req, body, done) => done(null, body));

    const doc = routeDoc({
      summary: 'Gitea push webhook, verified with the project secret gitea_webhook_secret (HMAC, no bearer token)',
      tags: ['webhooks'],
      params,
      headers: giteaHeaders,
      public: true,
    });
    scope.post('/api/webhooks/gitea/:projectId', { bodyLimit: GITEA_BODY_LIMIT, schema: doc }, async (req, reply) => {
      const { projectId } = parseInput(params, req.params, 'params');
      await requireProject(deps, projectId);
      const secret = await getProjectSecret(deps.db, projectId, 'gitea_webhook_secret');
      if (!secret) throw new ApiError(401, 'webhook_not_configured', 'This project has no Gitea webhook secret, so no delivery can be trusted');
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const signature = req.headers['x-gitea-signature'];
      if (!verifyGiteaSignature(body, typeof signature === 'string' ? signature : undefined, secret)) {
        req.log.warn({ projectId }, 'gitea webhook refused: bad or missing signature');
        throw new ApiError(401, 'invalid_signature', 'X-Gitea-Signature is missing or does not match the body', 'x-gitea-signature');
      }

      const headers = parseInput(giteaHeaders, req.headers, 'headers');
      const event = headers['x-gitea-event'];
      if (event !== 'push') return reply.code(202).send({ recorded: false, ignored: event });

      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        throw new ApiError(400, 'invalid_json', 'The body is not JSON', 'body');
      }
      const push = parseInput(pushPayload, json, 'body');
      const recorded = await recordRepoEvent(deps.db, {
        projectId,
        deliveryId: headers['x-gitea-delivery'],
        kind: 'push',
        ref: push.ref ?? null,
        before: push.before ?? null,
        after: push.after ?? null,
        pusher: push.pusher?.login ?? push.pusher?.username ?? null,
        commits: trimCommits(push.commits),
      });
      return reply.code(202).send({ recorded });
    });
  });
}
