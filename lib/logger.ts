import pino, { type Logger } from 'pino';
import type { Config } from './config.js';
import { redactDeep, redactText } from './redact.js';

export type { Logger };

/** One logger per process, named after it (api, worker, start), at the configured level and format. */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>, name: string): Logger {
  return pino({
    name,
    level: config.logLevel,
    // Secrets never reach logs even when a caller logs a whole object by mistake.
    // Known secret values and credential patterns, in every field and message.
    formatters: { log: (object) => redactDeep(object) },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<typeof method>);
      },
    },
    redact: {
      paths: ['*.password', '*.token', '*.apiKey', '*.authorization', 'req.headers.authorization', 'req.headers["x-api-key"]'],
      censor: '[redacted]',
    },
    ...(config.logFormat === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname', translateTime: 'HH:MM:ss' } } }
      : {}),
  });
}
