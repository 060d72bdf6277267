/**
 * API process entry (`npm run api`): serves HTTP on HOST:PORT against TEMPORAL_ADDRESS and DATABASE_URL.
 * It never does the work itself: it validates, starts and signals workflows, and reads Postgres.
 */
import { projectDisk } from '../runtime/workspace/project-disk.js';
import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../lib/config.js';
import { registerSecrets } from '../lib/redact.js';
import { createLogger } from '../lib/logger.js';
import { requireSetting } from '../lib/require-setting.js';
import { connectDatabase } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { buildApp } from './app.js';

const config = loadConfig();
// Model keys never appear in events or logs, whatever prints them.
registerSecrets([config.llm.anthropic.apiKey, config.llm.gemini.apiKey, config.adminToken]);
const log = createLogger(config, 'api');

async function main() {
  const databaseUrl = requireSetting('DATABASE_URL', config.database.url);
  const address = requireSetting('TEMPORAL_ADDRESS', config.temporal.address);
  const adminToken = requireSetting('VIBN_ADMIN_TOKEN', config.adminToken);
  await runMigrations(databaseUrl);
  const database = connectDatabase(databaseUrl, { onError: (err) => log.warn({ reason: err.message }, 'database connection dropped') });
  // Lazy: the API comes up (and /health says why) even while Temporal is still starting or down.
  const temporal = Connection.lazy({ address });
  const client = new Client({ connection: temporal, namespace: config.temporal.namespace });
  const app = buildApp({
    pool: database.pool,
    db: database.db,
    temporal,
    client,
    taskQueue: config.temporal.taskQueue,
    requestSettings: config.requests,
    home: config.home,
    logger: log,
    adminToken,
    http: config.http,
    temporalUiUrl: config.temporal.uiUrl,
    consoleDir: fs.existsSync(config.consoleDir) ? config.consoleDir : undefined,
    unsandboxed: config.unsandboxed,
    disk: projectDisk(config),
    terminalIdleMs: config.terminalIdleMs,
  });
  if (!fs.existsSync(config.consoleDir)) log.warn({ consoleDir: config.consoleDir }, 'the web console is not built (npm run build): / answers 404');

  const stop = async (signal: string) => {
    log.info({ signal }, 'api stopping');
    await app.close();
    await temporal.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  const url = await app.listen({ host: config.api.host, port: config.api.port });
  log.info({ url }, 'api listening');
}

main().catch((err) => {
  log.fatal({ err }, 'api failed');
  process.exit(1);
});
