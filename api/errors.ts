import { z } from 'zod';

/**
 * An error a route throws on purpose, answered as `{ error: { code, message, field? } }` with its status.
 * `code` is stable (clients branch on it); `message` is for people; `field` names the input at fault.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

export type ErrorBody = { error: { code: string; message: string; field?: string } };

/** Which part of the request a schema reads; names the field when the whole part is wrong (e.g. no body). */
export type InputPart = 'body' | 'params' | 'query' | 'headers';

/**
 * Parses one part of a request with zod, throwing a 400 ApiError whose `field` is the first bad field's path.
 * Routes parse by hand (not fastify's JSON schema) so every rule lives in one zod schema per route.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, part: InputPart): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : part;
  throw new ApiError(400, 'invalid_request', `${field}: ${issue?.message ?? 'invalid'}`, field);
}

/** Fastify's own client errors (body parsing), mapped to our codes so clients never see FST_* names. */
const FASTIFY_ERRORS: Record<string, { code: string; field?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_json', field: 'body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json', field: 'body' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', field: 'body' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'bad_request', field: 'body' },
  FST_ERR_BAD_URL: { code: 'bad_url', field: 'url' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'uri_too_long', field: 'url' },
};

/** Turns anything a route or fastify throws into a status and the one error body; 5xx hide their details. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof ApiError) {
    return { status: err.status, body: { error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) } } };
  }
  if (err instanceof z.ZodError) {
    // A schema used outside parseInput: still the caller's input, still a 400.
    const issue = err.issues[0];
    const field = issue?.path.map(String).join('.') || undefined;
    return { status: 400, body: { error: { code: 'invalid_request', message: issue?.message ?? 'invalid', ...(field ? { field } : {}) } } };
  }
  const e = err as { statusCode?: number; code?: string; message?: string };
  const status = e.statusCode && e.statusCode >= 400 && e.statusCode < 600 ? e.statusCode : 500;
  if (status >= 500) return { status, body: { error: { code: 'internal', message: 'Internal error' } } };
  const known = e.code ? FASTIFY_ERRORS[e.code] : undefined;
  const code = known?.code ?? (status === 404 ? 'not_found' : status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request');
  return { status, body: { error: { code, message: e.message || 'Bad request', ...(known?.field ? { field: known.field } : {}) } } };
}
