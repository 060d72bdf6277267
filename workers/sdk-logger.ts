import { DefaultLogger, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../lib/logger.js';

const levels: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR' };

/** Routes the Temporal SDK's own log lines (worker state, bundling, retries) into the process's pino logger. */
export function sdkLogger(log: Logger): DefaultLogger {
  const level = levels[log.level] ?? 'WARN';
  return new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
    const method = entryLevel === 'TRACE' ? 'trace' : entryLevel === 'DEBUG' ? 'debug' : entryLevel === 'INFO' ? 'info' : entryLevel === 'WARN' ? 'warn' : 'error';
    log[method]({ sdk: meta }, message);
  });
}
