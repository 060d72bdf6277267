import { Writable } from 'node:stream';
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from './config.js';
import { boundedCopy, redactText, type DeepLimits } from './redact.js';

export type { Logger };

/** Where log lines go instead of standard output (the tests read them back): whole lines, JSON or pretty. */
export type LogSink = { write(line: string): unknown };

/** What one logged value may grow to before the logger cuts it: a log line is for reading, not for dumps. */
export const LOG_VALUE_LIMITS: DeepLimits = {
  maxDepth: 6,
  maxStringLength: 8 * 1024,
  maxEntries: 50,
  maxNodes: 500,
  secretKeys: /^(?:ticket|token|password|passphrase|secret|api_?key|authorization|cookie|set-cookie|x-api-key)$/i,
};

/** No written line is longer: one past it is replaced by its start and a note. */
export const MAX_LOG_LINE = 64 * 1024;

/** Fastify's request and reply, which its own serializers reduce to a few fields. */
const SERIALIZED_KEYS = new Set(['req', 'res']);

/**
 * One logger per process, named after it (api, worker, start), at the configured level and format.
 *
 * Secrets never reach a log line, and no log call can crash the process: the formatter copies each logged value
 * within bounds (cycle-safe: Fastify's request points back at itself through its socket), and every line is
 * redacted as written, after pino's and Fastify's serializers, so what is redacted is what is really written.
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>, name: string, sink?: LogSink): Logger {
  const target: LogSink =
    config.logFormat === 'pretty'
      ? pretty({ ignore: 'pid,hostname', translateTime: 'HH:MM:ss', sync: true, destination: sink ? new Writable({ write: (chunk, _enc, done) => (sink.write(String(chunk)), done()) }) : 1 })
      : (sink ?? pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      name,
      level: config.logLevel,
      formatters: { log: boundLogObject },
      // The serialized request's headers, which the formatter leaves to Fastify's serializer.
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'], censor: '[redacted]' },
    },
    redactingStream(target),
  );
}

/** pino's formatter runs before serializers, on the caller's raw object: copy it within bounds, never throw. */
function boundLogObject(object: Record<string, unknown>): Record<string, unknown> {
  try {
    const serialized: Record<string, unknown> = {};
    const rest: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(object)) {
      // An Error's message and stack are not enumerable: serialize it first, whatever its key, then bound it.
      if (value instanceof Error) rest[key] = pino.stdSerializers.err(value);
      else if (SERIALIZED_KEYS.has(key)) serialized[key] = value;
      else rest[key] = value;
    }
    // Redaction happens once, on the written line (redactingStream); here only the bounds.
    return { ...boundedCopy(rest, LOG_VALUE_LIMITS), ...serialized };
  } catch (err) {
    return { logFormatFailed: err instanceof Error ? err.message : String(err) };
  }
}

/** Redacts and bounds each serialized line on its way out; a failing write loses that line, not the process. */
function redactingStream(target: LogSink): DestinationStream {
  return {
    write(line: string) {
      try {
        target.write(redactText(line.length > MAX_LOG_LINE ? cutLine(line) : line));
      } catch {
        // Nowhere left to say it: the log itself is what failed.
      }
    },
  };
}

/** A line too long to keep whole, as a valid JSON line with its level, time, name and start. */
function cutLine(line: string): string {
  const field = (key: string) => line.match(new RegExp(`"${key}":(\\d+|"[^"]*")`))?.[1];
  const keep = (raw: string | undefined) => (raw === undefined ? undefined : JSON.parse(raw));
  return `${JSON.stringify({
    level: keep(field('level')),
    time: keep(field('time')),
    name: keep(field('name')),
    msg: `log line cut: ${line.length} characters`,
    start: line.slice(0, 4 * 1024),
  })}\n`;
}
