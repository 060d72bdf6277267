/**
 * The Debian packages the tests use (installed first when missing), one real Temporal dev server (in memory)
 * and one Postgres for the whole test run, plus the workflow bundle built once. Each test file then makes its
 * own database and task queue, so files never see each other's data.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { resolveTemporalCli } from '../temporal-config/temporal-cli.js';
import { startDevServer } from '../temporal-config/dev-server.js';
import { ensureSystemPackages, TEST_PACKAGES } from '../scripts/system-packages.js';
import { bundlerOptions, WORKFLOWS_PATH } from '../workers/worker.js';
import { freePort } from './helpers/ports.js';
import { removeStateFolder } from '../runtime/workspace/project-disk.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    databaseUrl: string;
    workflowBundlePath: string;
    temporalCliPath: string;
  }
}

export default async function setup(project: TestProject) {
  const config = loadConfig();
  const log = createLogger({ logLevel: 'info', logFormat: 'json' }, 'test-setup');
  // Before anything starts: on a fresh machine this installs bubblewrap, chromium and sshd, or stops the run
  // with the command to run.
  await ensureSystemPackages(TEST_PACKAGES, (line) => log.info(line));
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-test-'));
  // Readable by the unprivileged user an embedded Postgres runs as when the tests run as root.
  await fs.chmod(scratch, 0o755);
  const stops: Array<() => Promise<unknown>> = [];

  let databaseUrl = config.database.url;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres(path.join(scratch, 'postgres'), await freePort(), log);
    stops.push(() => pg.stop());
    databaseUrl = pg.url;
  }

  const cli = await resolveTemporalCli({ cliPath: config.temporal.cliPath, toolsDir: config.toolsDir }, log);
  log.info(`tests use the Temporal CLI: ${cli.how}`);
  const server = await startDevServer({ executable: cli.executable, namespace: config.temporal.namespace });
  stops.push(() => server.stop());

  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, ...bundlerOptions, logger: new DefaultLogger('WARN') });
  const workflowBundlePath = path.join(scratch, 'workflow-bundle.js');
  await fs.writeFile(workflowBundlePath, bundle.code);

  project.provide('temporalAddress', server.address);
  project.provide('temporalNamespace', config.temporal.namespace);
  project.provide('databaseUrl', databaseUrl);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('temporalCliPath', cli.executable.type === 'existing-path' ? cli.executable.path : '');

  return async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await removeStateFolder(scratch);
  };
}
