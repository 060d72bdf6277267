/**
 * The demo a new user gets from `npm start`: a project named `demo` whose remote is a bare repository in the
 * state folder and whose deployer publishes its `public/` folder as a local site.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { execa } from 'execa';
import type { Db } from '../db/client.js';
import { projects } from '../db/schema.js';
import { prepareSitesDir, SITE_PUBLISHER } from '../runtime/deploy/sites.js';
import { sitesDir } from '../runtime/workspace/layout.js';
import { seedAnalyticsData } from './analytics-data.js';
import { createDemoRepository, DEMO_TEMPLATE_DIR } from './create-demo-repo.js';

export const DEMO_PROJECT_NAME = 'demo';

/**
 * Publishes the request's working copy with VIBN's static publisher (demo/deploy-site.mjs, copied into
 * VIBN_SITES), with the deploy activity's VIBN_* variables, as the unprivileged user command deploys run as.
 */
export const DEMO_DEPLOY_COMMAND = 'node "$VIBN_SITES/deploy-site.mjs" "$VIBN_WORKDIR" "$VIBN_SITES/demo"';

/** What earlier versions stored: it ran as root and wrote into the state folder. */
const OLD_DEMO_DEPLOY_COMMAND = 'node "$VIBN_ROOT/demo/deploy-site.mjs" "$VIBN_WORKDIR" "$VIBN_HOME/sites/demo"';

export const demoSiteDir = (home: string) => path.join(sitesDir(home), 'demo');

/** Creates the demo project (once) and a first deploy of its initial version, so its site opens at once. */
export async function ensureDemoProject({ db, home, siteUrl }: { db: Db; home: string; siteUrl: string }): Promise<{ projectId: string; created: boolean }> {
  const sites = await prepareSitesDir(home);
  // The first version is published at once (again, where an upgrade moved the sites folder), so the site opens.
  const publishInitial = () =>
    execa(process.execPath, [path.join(sites, SITE_PUBLISHER), DEMO_TEMPLATE_DIR, demoSiteDir(home)], { env: { VIBN_COMMIT: 'initial' } });
  const [existing] = await db.select({ id: projects.id, deploy: projects.deploy }).from(projects).where(eq(projects.name, DEMO_PROJECT_NAME));
  if (existing) {
    const deploy = existing.deploy as { command?: string } | null;
    if (deploy?.command === OLD_DEMO_DEPLOY_COMMAND) await db.update(projects).set({ deploy: { ...deploy, command: DEMO_DEPLOY_COMMAND } }).where(eq(projects.id, existing.id));
    if (!(await fs.stat(path.join(demoSiteDir(home), 'current')).catch(() => undefined))) await publishInitial();
    return { projectId: existing.id, created: false };
  }
  const { remoteUrl } = await createDemoRepository({ stateDir: home });
  await publishInitial();
  const [row] = await db
    .insert(projects)
    // Made by the operator's own start, like a project the admin created: its repository is the admin's.
    .values({ name: DEMO_PROJECT_NAME, repoUrl: remoteUrl, repoUrlByAdmin: true, deploy: { kind: 'command', command: DEMO_DEPLOY_COMMAND, url: siteUrl } })
    .returning({ id: projects.id });
  // Six weeks of product analytics with a planted drop, so "Why did signups drop last week?" has an answer.
  await seedAnalyticsData(db, row!.id);
  return { projectId: row!.id, created: true };
}
