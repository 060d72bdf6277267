/**
 * Starts the Temporal dev server (`temporal server start-dev`) for `npm start` and the test suite, with the
 * product's dynamic config and search attributes. Production connects to a cluster through TEMPORAL_ADDRESS.
 * Worker Deployments (the workers' versioning, docs/rolling-upgrade.md) need no flag here: the server inside
 * CLI v1.5.1 (1.29.1) enables them by default (`system.enableDeploymentVersions`), as compose's server does.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { TestWorkflowEnvironment, type EphemeralServerExecutable } from '@temporalio/testing';
import { parse } from 'yaml';
import { z } from 'zod';
import { projectRoot } from '../lib/config.js';
import { registerSearchAttributes } from './search-attributes.js';

export const DYNAMIC_CONFIG_FILE = path.join(projectRoot, 'temporal-config', 'dynamic-config.yaml');

const dynamicConfigSchema = z.record(
  z.string(),
  z.array(z.object({ value: z.unknown(), constraints: z.record(z.string(), z.unknown()).optional() })),
);

/**
 * The dev server takes dynamic config as `--dynamic-config-value KEY=JSON` flags, not as a file; the same YAML
 * file the production server mounts is turned into those flags. Constrained entries only make sense for a
 * cluster, so the dev server takes the unconstrained value of each key.
 */
export async function dynamicConfigArgs(file = DYNAMIC_CONFIG_FILE): Promise<string[]> {
  const entries = dynamicConfigSchema.parse(parse(await fs.readFile(file, 'utf8')) ?? {});
  return Object.entries(entries).flatMap(([key, values]) => {
    const plain = values.find((v) => !v.constraints || Object.keys(v.constraints).length === 0);
    return plain ? ['--dynamic-config-value', `${key}=${JSON.stringify(plain.value)}`] : [];
  });
}

export type DevServerOptions = {
  executable: EphemeralServerExecutable;
  namespace: string;
  /** Persist runs to this SQLite file; in memory when absent (tests). */
  dbFilename?: string;
  /** Fixed ports for `npm start`; random free ones when absent (tests). */
  port?: number;
  uiPort?: number;
};

export type DevServer = { address: string; uiUrl?: string; env: TestWorkflowEnvironment; stop(): Promise<void> };

/**
 * Where the dev server and its Web UI listen. The dev server has no authentication: whoever reaches its
 * frontend can read and change every workflow, so it never listens beyond this machine's loopback. Its HTTP
 * API and metrics listeners follow `--ip`; the UI has its own flag, set too rather than left to its default.
 */
export const DEV_SERVER_IP = '127.0.0.1';

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  if (opts.dbFilename) await fs.mkdir(path.dirname(opts.dbFilename), { recursive: true });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: opts.executable,
      namespace: opts.namespace,
      dbFilename: opts.dbFilename,
      ip: DEV_SERVER_IP,
      port: opts.port,
      ui: opts.uiPort !== undefined,
      uiPort: opts.uiPort,
      extraArgs: [...(opts.uiPort !== undefined ? ['--ui-ip', DEV_SERVER_IP] : []), ...(await dynamicConfigArgs())],
    },
  });
  await registerSearchAttributes(env.connection, opts.namespace);
  return {
    address: env.address,
    uiUrl: opts.uiPort !== undefined ? `http://${DEV_SERVER_IP}:${opts.uiPort}` : undefined,
    env,
    stop: () => env.teardown(),
  };
}
