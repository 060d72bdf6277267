/**
 * `npm run migrate`: applies the committed migrations and exits. Against DATABASE_URL when set; otherwise
 * against the embedded Postgres under VIBN_HOME that `npm start` uses (started for the run, then stopped), so
 * an operator can migrate before starting the product, or check that the migrations apply.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { startEmbeddedPostgres } from './embedded.js';
import { runMigrations } from './migrate.js';

const config = loadConfig();
const log = createLogger(config, 'migrate');

async function main() {
  if (config.database.url) {
    await runMigrations(config.database.url);
    log.info('migrations applied to the Postgres at DATABASE_URL');
    return;
  }
  await fs.mkdir(config.home, { recursive: true });
  const pg = await startEmbeddedPostgres(path.join(config.home, 'postgres'), config.database.embeddedPort, log);
  try {
    await runMigrations(pg.url);
    log.info({ home: config.home }, 'migrations applied to the embedded Postgres');
  } finally {
    await pg.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log.fatal({ err }, 'migrations failed');
    process.exit(1);
  },
);
