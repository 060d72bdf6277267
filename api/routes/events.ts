import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { EVENT_NAME_PATTERN, insertProductEvents } from '../../db/queries/product-events.js';
import type { AppDeps } from '../app.js';
import { requireAccess } from '../auth.js';
import { parseInput } from '../errors.js';
import { routeDoc } from '../openapi.js';
import { requireProject, uuidParam } from './projects.js';

export const MAX_EVENTS_PER_BATCH = 1_000;
/** Serialized size of one event's properties. */
export const MAX_PROPERTIES_BYTES = 8 * 1024;
/** A whole batch: 1,000 typical events are a few hundred KB; this leaves room for rich properties. */
const BATCH_BODY_LIMIT = 5 * 1024 * 1024;
const MAX_PROPERTY_KEYS = 50;
const FUTURE_LIMIT_MS = 86_400_000;
const PAST_LIMIT_MS = 2 * 365 * 86_400_000;

const id = (what: string) => z.string().trim().min(1).max(200).describe(what);
const scalar = z.union([z.string().max(2_000), z.number(), z.boolean(), z.null()]);
/**
 * Properties stay shallow, so queries can read them: a property is a scalar, or a list or object of scalars;
 * nothing nests deeper.
 */
const properties = z
  .record(z.string().min(1).max(100), z.union([scalar, z.array(scalar).max(100), z.record(z.string().max(100), scalar)]))
  .refine((p) => Object.keys(p).length <= MAX_PROPERTY_KEYS, { message: `at most ${MAX_PROPERTY_KEYS} properties` })
  .refine((p) => Buffer.byteLength(JSON.stringify(p), 'utf8') <= MAX_PROPERTIES_BYTES, { message: `at most ${MAX_PROPERTIES_BYTES} bytes once serialized` })
  .describe('Flat details of the event: scalars, or lists or objects of scalars');

const productEvent = z
  .object({
    id: id("The sender's id for the event; an id sent again is stored once"),
    name: z.string().regex(EVENT_NAME_PATTERN, 'must be 1-100 of a-z 0-9 _ . : $ -').describe('What happened, e.g. signup, page_view, error'),
    userId: id('The signed-in user, if any').nullish(),
    anonymousId: id("The device or browser's anonymous id, if any").nullish(),
    platform: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9_.-]{1,40}$/, 'must be 1-40 of a-z 0-9 _ . -')
      .optional()
      .describe('web, ios, android, ...'),
    properties: properties.optional(),
    occurredAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).describe('When it happened, ISO 8601'),
  })
  .strict()
  .superRefine((event, ctx) => {
    const at = Date.parse(event.occurredAt);
    const now = Date.now();
    if (at > now + FUTURE_LIMIT_MS) ctx.addIssue({ code: 'custom', path: ['occurredAt'], message: 'is more than a day in the future' });
    if (at < now - PAST_LIMIT_MS) ctx.addIssue({ code: 'custom', path: ['occurredAt'], message: 'is more than two years old' });
  });

const eventsBody = z.object({ events: z.array(productEvent).min(1).max(MAX_EVENTS_PER_BATCH) }).strict();
const projectParams = z.object({ projectId: uuidParam });

/** POST /api/projects/:projectId/events: the product reports what its users did, in batches. */
export function eventRoutes(app: FastifyInstance, deps: Pick<AppDeps, 'db'>) {
  const doc = routeDoc({
    summary: 'Report product events (signups, page views, errors...), up to 1,000 a batch; resending an event id is harmless',
    tags: ['analytics'],
    params: projectParams,
    body: eventsBody,
  });
  app.post('/api/projects/:projectId/events', { schema: doc, bodyLimit: BATCH_BODY_LIMIT }, async (req, reply) => {
    const { projectId } = parseInput(projectParams, req.params, 'params');
    requireAccess(req, projectId);
    const { events } = parseInput(eventsBody, req.body, 'body');
    await requireProject(deps, projectId);
    const result = await insertProductEvents(
      deps.db,
      projectId,
      events.map((e) => ({
        eventId: e.id,
        name: e.name,
        userId: e.userId,
        anonymousId: e.anonymousId,
        platform: e.platform,
        properties: e.properties,
        occurredAt: new Date(e.occurredAt),
      })),
    );
    return reply.code(202).send(result);
  });
}
