/**
 * `VIBN_SITES`: the one folder a command deployer may publish into. Command deploys run as the unprivileged
 * sandbox user, so the folder is made reachable and writable for it, and holds a copy of VIBN's own static
 * publisher (demo/deploy-site.mjs), readable wherever VIBN itself is installed (root's home included).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../../lib/config.js';
import { grantToSandboxUser } from '../sandbox/sandbox-user.js';
import { makeReachable } from '../workspace/layout.js';

export const SITE_PUBLISHER = 'deploy-site.mjs';

/** Makes the sites folder ready for a deploy and returns it. */
export async function prepareSitesDir(home: string): Promise<string> {
  const dir = makeReachable(home, 'sites');
  await grantToSandboxUser(dir);
  const publisher = path.join(dir, SITE_PUBLISHER);
  // Copied under a temporary name and renamed, so a deploy running meanwhile never reads half a file.
  const next = `${publisher}.${process.pid}.tmp`;
  await fs.copyFile(path.join(projectRoot, 'demo', SITE_PUBLISHER), next);
  await fs.chmod(next, 0o644);
  await fs.rename(next, publisher);
  return dir;
}
