/**
 * `npm start`: the whole product on one machine with embedded defaults. Starts (unless configured to use
 * existing servers) a Postgres and a Temporal dev server under VIBN_HOME, applies migrations, then runs one
 * worker and one API as child processes. Ctrl-C stops everything it started.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { workspacesDir } from '../runtime/workspace/layout.js';
import { unmountUnder } from '../runtime/workspace/project-disk.js';
import { boundsHealth } from '../runtime/sandbox/bounds-health.js';
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
import { sandboxHealth } from '../runtime/sandbox/index.js';
import { spawnEntry, stopProcess, waitForHttp } from './processes.js';
import { ensureSystemPackages, PRODUCT_PACKAGES, SystemPackagesError } from './system-packages.js';

const config = loadConfig();
const log = createLogger(config, 'start');

/** What the person at the terminal needs next: printed whatever the log level, since these are not log lines. */
function say(text: string) {
  process.stdout.write(`${text}\n`);
}

const cleanups: Array<() => Promise<unknown>> = [];
/** Longer than a worker's drain (its shutdown grace), shorter than a person's patience. */
const CLEANUP_STEP_MS = 30_000;
let stopping = false;

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  log.info('stopping everything npm start started');
  for (const cleanup of cleanups.reverse()) {
    // Bounded, so one step that hangs never keeps the later ones (the disks' unmount is last) from running.
    const stuck = delay(CLEANUP_STEP_MS, 'stuck', { ref: false });
    const outcome = await Promise.race([cleanup().catch((err: unknown) => log.warn({ err }, 'cleanup step failed')), stuck]);
    if (outcome === 'stuck') log.warn({ afterMs: CLEANUP_STEP_MS }, 'a cleanup step did not finish; going on');
  }
  process.exit(code);
}

async function main() {
  // Agent commands run in bubblewrap's sandbox: install it now if this machine lacks it, or say how.
  if (!config.unsandboxed) {
    await ensureSystemPackages(PRODUCT_PACKAGES, say);
    const sandbox = await sandboxHealth({});
    if (!sandbox.ok) say(`Warning: agent commands cannot run on this machine (${sandbox.reason}); requests that change code will say so.`);
  }
  if (config.unbounded) say('VIBN_UNBOUNDED=1: agent commands and terminals run without disk, memory, process and CPU bounds.');
  else if (process.getuid?.() !== 0) {
    say('Warning: VIBN is not running as root, so projects cannot get disks of their own and agent commands will be refused. Run it as root, or set VIBN_UNBOUNDED=1 on a machine you trust.');
  } else {
    const bounds = await boundsHealth({ unbounded: false });
    if (!bounds.ok) say(`Warning: agent commands and terminals will be refused: their memory, process and CPU bounds cannot be applied here (${bounds.reason}): ${bounds.fix}; or set ${bounds.setting} on a machine you trust.`);
  }
  await fs.mkdir(config.home, { recursive: true });
  log.info({ home: config.home }, 'state folder (delete it for a clean reset)');
  // Last of all, once the worker and the API are gone: the project disks this run mounted, so that deleting the
  // state folder really is a clean reset.
  cleanups.push(() => unmountUnder(workspacesDir(config.home)));

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
  const lines = ['', 'VIBN is running.'];
  // The fragment never leaves the browser: the console reads the token from it, keeps it, and clears it.
  if (admin.source === 'generated') lines.push(`  Web console:  ${apiUrl}/#token=${admin.token}`, `                (this sign-in link is shown once; the token is kept in ${admin.file})`);
  else lines.push(`  Web console:  ${apiUrl}/  (sign in with the admin token${admin.file ? ` in ${admin.file}` : ' in VIBN_ADMIN_TOKEN'})`);
  lines.push(`  API:          ${apiUrl}/api  (documented at ${apiUrl}/api/docs)`);
  lines.push(`  Temporal UI:  ${temporalUi ?? config.temporal.uiUrl}`);
  lines.push(`  Demo site:    ${siteUrl}  (the demo project's live site)`);
  if (config.llm.scriptedBecause) lines.push(`  Scripted mode: ${config.llm.scriptedBecause}, so Assist, the advisors and the agents play scripted scenarios, labelled as scripted.`);
  lines.push(`  Try it: open the console and ask Assist to "Add a referral program".`, '  Ctrl-C stops everything.', '');
  say(lines.join('\n'));
  log.info({ apiUrl, temporalUi, demoProject: demo.projectId }, 'VIBN is running');
}

// This script owns the shutdown order (worker and API drain, then Temporal and Postgres stop, then the project
// disks are unmounted). The handlers stay registered (shutdown runs once): the embedded Postgres's own signal
// handler stands aside only while another is registered, and would otherwise exit as soon as Postgres stopped.
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch(async (err) => {
  // A missing system package is the user's next step, not a crash: its message has the command to run.
  if (err instanceof SystemPackagesError) say(err.message);
  else log.fatal({ err }, 'start failed');
  await shutdown(1);
});
