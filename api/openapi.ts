/**
 * Route descriptions for the OpenAPI document, made from the same zod schemas the handlers parse with.
 * They document only: the app's validator compiler accepts everything, so zod in the handler stays the one
 * source of truth and the one error shape.
 */
import type { FastifySchema } from 'fastify';
import { z } from 'zod';

export type RouteDoc = {
  summary: string;
  tags: string[];
  description?: string;
  params?: z.ZodType;
  querystring?: z.ZodType;
  body?: z.ZodType;
  headers?: z.ZodType;
  /** `true` for routes that take no bearer token (health, HMAC-signed webhooks). */
  public?: boolean;
};

/** A zod schema as OpenAPI 3.0 JSON schema, describing what a client sends (the input side of transforms). */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'openapi-3.0' }) as Record<string, unknown>;
  return rest;
}

/** The fastify `schema` of one route: summary, tags and the JSON schema of each part it reads. */
export function routeDoc(doc: RouteDoc): FastifySchema & Record<string, unknown> {
  return {
    summary: doc.summary,
    tags: doc.tags,
    ...(doc.description ? { description: doc.description } : {}),
    ...(doc.params ? { params: jsonSchemaOf(doc.params) } : {}),
    ...(doc.querystring ? { querystring: jsonSchemaOf(doc.querystring) } : {}),
    ...(doc.body ? { body: jsonSchemaOf(doc.body) } : {}),
    ...(doc.headers ? { headers: jsonSchemaOf(doc.headers) } : {}),
    ...(doc.public ? { security: [] } : {}),
  };
}
