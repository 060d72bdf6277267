/**
 * The session events the product writes to `session_events`, as typed, versioned schemas. The live stream
 * sends every row through `parseEvent`, so a client reads one envelope (`v: 1`) whatever the kind, and an
 * event that no schema knows (a newer writer, an older row) still streams, marked `known: false`.
 */
import { z } from 'zod';

/** Version of the envelope the stream sends; bumped when a field's meaning changes, not when one is added. */
export const EVENT_SCHEMA_VERSION = 1 as const;

// Loose objects: a writer may add a field without breaking readers; the stream passes it through.
const obj = <S extends z.ZodRawShape>(shape: S) => z.looseObject(shape);
const optText = z.string().nullable().optional();

/** Payload schema of each kind, keyed by kind. Kinds whose payload came from a model carry `scripted`. */
export const eventPayloads = {
  phase: obj({ phase: z.string(), status: z.string(), outcome: optText, error: optText }),
  'founder.message': obj({ text: z.string() }),
  'assistant.message': obj({ text: z.string(), replyKind: z.string(), scripted: z.boolean() }),
  'plan.card': obj({
    version: z.number().int(),
    summary: z.string(),
    items: z.array(obj({ module: z.string(), text: z.string() })),
    estimatedMinutes: z.number(),
    scripted: z.boolean(),
  }),
  'signal.refused': obj({ signal: z.string(), reason: z.string() }),
  'task.status': obj({
    taskId: z.string().optional(),
    status: z.string(),
    attempt: z.number().int().optional(),
    tier: z.string().optional(),
    summary: optText,
    error: optText,
  }),
  'agent.instructions': obj({ attempt: z.number().int(), tier: z.string(), title: z.string(), conflicts: z.array(z.string()), text: z.string() }),
  'agent.turn': obj({ attempt: z.number().int(), turn: z.number().int(), content: z.array(z.unknown()), scripted: z.boolean(), model: z.string().optional() }),
  'agent.tool_result': obj({
    toolUseId: z.string(),
    name: z.string(),
    output: z.string(),
    isError: z.boolean(),
    changedFiles: z.array(z.string()).optional(),
    finish: z.string().optional(),
    checksFailed: z.boolean().optional(),
    signature: z.string().optional(),
  }),
  'check.result': obj({ name: z.string(), command: z.string(), ok: z.boolean(), output: z.string(), stage: z.string().optional() }),
  'task.merged': obj({ taskId: z.string() }),
  'task.conflict': obj({ taskId: z.string(), conflicts: z.array(z.string()) }),
  commit: obj({ commit: optText, empty: z.boolean() }),
  push: obj({ branch: z.string() }),
  deploy: obj({ status: z.string(), commit: optText, url: optText, deployer: z.string().optional(), reason: z.string().optional() }),
  'budget.paused': obj({ scope: z.string(), spentUsd: z.number(), limitUsd: z.number(), suggestedUsd: z.number(), text: z.string() }),
  'budget.raised': obj({ amountUsd: z.number() }),
  'web.sources': obj({ role: z.string(), sources: z.array(obj({ url: z.string() })), scripted: z.boolean() }),
  'request.stopped': obj({ stoppedTasks: z.array(z.string()), phase: optText }),
  'memory.updated': obj({ written: z.array(z.string()), resolved: z.array(z.string()), contradicted: z.array(z.string()), scripted: z.boolean() }),
  'self_test.step': obj({ step: z.number().int(), of: z.number().int() }),
  /** A notification for the founder's feed, on the project's monitoring conversation (see activities/notify.ts). */
  notification: obj({ notificationId: z.string(), kind: z.string(), title: z.string(), body: z.string(), conversationId: optText }),
} as const;

export type EventKind = keyof typeof eventPayloads;
export type EventPayload<K extends EventKind> = z.output<(typeof eventPayloads)[K]>;

/** Kinds whose payload a model wrote (or a scripted scenario stood in for one). */
export const MODEL_KINDS: ReadonlySet<string> = new Set<EventKind>(['assistant.message', 'plan.card', 'agent.turn', 'web.sources', 'memory.updated']);

/** A stored row as the stream reads it. */
export type EventRow = { seq: number; kind: string; sessionId: string | null; payload: unknown; createdAt: Date };

type Envelope = {
  v: typeof EVENT_SCHEMA_VERSION;
  seq: number;
  sessionId: string | null;
  at: string;
  /** Set on kinds a model wrote: true when a scripted scenario played the model. Absent otherwise. */
  scripted?: boolean;
};

/** An event whose kind and payload match their schema. */
export type KnownEvent = { [K in EventKind]: Envelope & { kind: K; known: true; payload: EventPayload<K> } }[EventKind];
/** A kind no schema knows, or a payload its schema refuses: passed through as stored, never dropped. */
export type UnknownEvent = Envelope & { kind: string; known: false; payload: unknown };
export type StreamEvent = KnownEvent | UnknownEvent;

const isKind = (kind: string): kind is EventKind => Object.hasOwn(eventPayloads, kind);

/** Turns a stored row into the envelope the stream sends. Never throws: what it cannot type, it passes through. */
export function parseEvent(row: EventRow): StreamEvent {
  const base = { v: EVENT_SCHEMA_VERSION, seq: row.seq, sessionId: row.sessionId, at: row.createdAt.toISOString() };
  const raw = row.payload as { scripted?: unknown } | null;
  const scripted = MODEL_KINDS.has(row.kind) ? raw?.scripted === true : undefined;
  const withScripted = scripted === undefined ? base : { ...base, scripted };
  if (isKind(row.kind)) {
    const parsed = eventPayloads[row.kind].safeParse(row.payload);
    if (parsed.success) return { ...withScripted, kind: row.kind, known: true, payload: parsed.data } as KnownEvent;
  }
  return { ...withScripted, kind: row.kind, known: false, payload: row.payload };
}
