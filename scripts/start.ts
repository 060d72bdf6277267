/**
 * `npm start`: the whole product on one machine with embedded defaults. Starts (unless configured to use
 * existing servers) a Postgres and a Temporal dev server under VIBN_HOME, applies migrations, then runs one
 * worker and one API as child processes. Ctrl-C stops everything it started.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ensureAdminToken } from '../lib/admin-token.js';
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { connectDatabase } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { demoSiteDir, ensureDemoProject } from '../demo/demo-project.js';
import { serveSite } from '../demo/site-server.js';
import { resolveTemporalCli } from '../temporal-config/temporal-cli.js';
import { startDevServer } from '../temporal-config/dev-server.js';
import { spawnEntry, stopProcess, waitForHttp } from './processes.js';

const config = loadConfig();
const log = createLogger(config, 'start');
const cleanups: Array<() => Promise<unknown>> = [];
let stopping = false;

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  log.info('stopping everything npm start started');
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch((err) => log.warn({ err }, 'cleanup step failed'));
  }
  process.exit(code);
}

async function main() {
  await fs.mkdir(config.home, { recursive: true });
  log.info({ home: config.home }, 'state folder (delete it for a clean reset)');

  let databaseUrl = config.database.url;
  if (databaseUrl) {
    log.info('using the Postgres at DATABASE_URL');
  } else {
    const pg = await startEmbeddedPostgres(path.join(config.home, 'postgres'), config.database.embeddedPort, log);
    cleanups.push(() => pg.stop());
    databaseUrl = pg.url;
    log.info({ port: config.database.embeddedPort }, 'embedded Postgres started');
  }
  await runMigrations(databaseUrl);
  log.info('migrations applied');

  const siteUrl = `http://${config.api.host}:${config.demoSitePort}/`;
  const database = connectDatabase(databaseUrl);
  const demo = await ensureDemoProject({ db: database.db, home: config.home, siteUrl });
  await database.close();
  const site = await serveSite(path.join(demoSiteDir(config.home), 'current'), config.api.host, config.demoSitePort);
  cleanups.push(() => site.close());

  let temporalAddress = config.temporal.address;
  let temporalUi: string | undefined;
  if (temporalAddress) {
    log.info({ address: temporalAddress }, 'using the Temporal server at TEMPORAL_ADDRESS');
  } else {
    const cli = await resolveTemporalCli({ cliPath: config.temporal.cliPath, toolsDir: config.toolsDir }, log);
    log.info(`Temporal CLI: ${cli.how}`);
    const server = await startDevServer({
      executable: cli.executable,
      namespace: config.temporal.namespace,
      dbFilename: path.join(config.home, 'temporal', 'dev.db'),
      port: config.temporal.devPort,
      uiPort: config.temporal.uiPort,
    });
    cleanups.push(() => server.stop());
    temporalAddress = server.address;
    temporalUi = server.uiUrl;
    log.info({ address: temporalAddress }, 'Temporal dev server started');
  }

  const admin = await ensureAdminToken(config.home, config.adminToken);
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_UI_URL: config.temporal.uiUrl,
    VIBN_HOME: config.home,
    VIBN_ADMIN_TOKEN: admin.token,
    LOG_FORMAT: config.logFormat,
  };
  for (const entry of ['workers/main.ts', 'api/server.ts']) {
    const child = spawnEntry(entry, env);
    cleanups.push(() => stopProcess(child));
    child.once('exit', (code, signal) => {
      if (stopping) return;
      log.error({ entry, code, signal }, 'a process exited unexpectedly; stopping the rest');
      void shutdown(1);
    });
  }

  const apiUrl = `http://${config.api.host}:${config.api.port}`;
  await waitForHttp(`${apiUrl}/health`, 120_000);
  log.info(`VIBN is running. API: ${apiUrl}${temporalUi ? `  Temporal UI: ${temporalUi}` : ''}  (Ctrl-C stops everything)`);
  if (admin.source === 'generated') {
    // Shown this once; afterwards it is only in the file (mode 600).
    log.info(`Admin token (kept in ${admin.file}): ${admin.token}`);
  } else {
    log.info(admin.file ? `Admin token: in ${admin.file}` : 'Admin token: VIBN_ADMIN_TOKEN');
  }
  // The fragment never leaves the browser: the console reads the token from it, keeps it, and clears it.
  if (admin.source === 'generated') log.info(`Web console: ${apiUrl}/#token=${admin.token}`);
  else log.info(`Web console: ${apiUrl}/  (sign in with the admin token${admin.file ? ` in ${admin.file}` : ''})`);
  if (config.llm.scriptedBecause) {
    log.info(`Scripted mode: ${config.llm.scriptedBecause}, so Assist, the advisors and the agents play scripted scenarios, labelled as scripted.`);
  }
  log.info(
    `Demo project "demo" (${demo.projectId}); its live site: ${siteUrl}\n` +
      `  Try it:  curl -s -X POST ${apiUrl}/api/projects/${demo.projectId}/requests -H "authorization: Bearer $(cat ${admin.file ?? '<admin token file>'})" -H 'content-type: application/json' -d '{"text":"Add a referral program"}'`,
  );
}

// This script owns the shutdown order (worker and API drain, then Temporal and Postgres stop).
process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));
main().catch(async (err) => {
  log.fatal({ err }, 'start failed');
  await shutdown(1);
});
