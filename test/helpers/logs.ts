import { createLogger, type Logger } from '../../lib/logger.js';
import { loadConfig } from '../../lib/config.js';

/** How many recent lines a captured logger keeps: enough to read back, bounded for long test files. */
const KEEP = 5_000;

/**
 * The product's own logger, at the level a user gets by default (no LOG_LEVEL), so tests exercise the same
 * formatting, serializers and redaction on every request they make. Lines are kept for reading back instead of
 * flooding the test output.
 */
export function productLogger(name: string): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const { logLevel } = loadConfig({});
  const logger = createLogger({ logLevel, logFormat: 'json' }, name, {
    write(line: string) {
      lines.push(line);
      if (lines.length > KEEP) lines.splice(0, lines.length - KEEP);
    },
  });
  return { logger, lines };
}
