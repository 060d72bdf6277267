/**
 * Structured output: a reply must be one JSON object that the role's zod schema accepts. An invalid reply is
 * re-asked once with the validation error; a second invalid reply fails the call in plain words.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { FAILURE } from '../core/failure-types.js';
import { textOf, type LlmProvider, type LlmRequest, type LlmResponse } from './types.js';

export type StructuredResult<T> = { value: T; responses: LlmResponse[] };

/** The JSON object in a reply, tolerating a Markdown code fence around it. */
export function extractJson(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  const body = (fenced ? fenced[1]! : text).trim();
  return JSON.parse(body);
}

function check<T>(schema: z.ZodType<T>, response: LlmResponse): { ok: true; value: T } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = extractJson(textOf(response.content));
  } catch {
    return { ok: false, error: 'the reply was not a JSON object' };
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: z.prettifyError(parsed.error) };
}

export async function completeStructured<T>(
  provider: LlmProvider,
  request: LlmRequest,
  schema: z.ZodType<T>,
  onResponse: (response: LlmResponse) => Promise<void> = async () => undefined,
  /** A reply already in hand (e.g. the last turn of a reading loop) to validate before asking at all. */
  answered?: LlmResponse,
): Promise<StructuredResult<T>> {
  const first = answered ?? (await provider.complete({ ...request, json: true }));
  await onResponse(first);
  const firstCheck = check(schema, first);
  if (firstCheck.ok) return { value: firstCheck.value, responses: [first] };

  const again = await provider.complete({
    ...request,
    json: true,
    messages: [
      ...request.messages,
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'text', text: `That reply was not valid: ${firstCheck.error}\nReply again with only the corrected JSON object.` }] },
    ],
  });
  await onResponse(again);
  const secondCheck = check(schema, again);
  if (secondCheck.ok) return { value: secondCheck.value, responses: [first, again] };
  throw ApplicationFailure.nonRetryable(
    `The ${request.role} model gave invalid output twice (${secondCheck.error.slice(0, 500)})`,
    FAILURE.invalidModelOutput,
  );
}
