/**
 * The demo a new user gets from `npm start`: a project named `demo` whose remote is a bare repository in the
 * state folder and whose deployer publishes its `public/` folder as a local site.
 */
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { execa } from 'execa';
import type { Db } from '../db/client.js';
import { projects } from '../db/schema.js';
import { projectRoot } from '../lib/config.js';
import { seedAnalyticsData } from './analytics-data.js';
import { createDemoRepository, DEMO_TEMPLATE_DIR } from './create-demo-repo.js';

export const DEMO_PROJECT_NAME = 'demo';

/** Publishes the request's working copy with demo/deploy-site.mjs; runs with the deploy activity's VIBN_* variables. */
export const DEMO_DEPLOY_COMMAND = 'node "$VIBN_ROOT/demo/deploy-site.mjs" "$VIBN_WORKDIR" "$VIBN_HOME/sites/demo"';

export const demoSiteDir = (home: string) => path.join(home, 'sites', 'demo');

/** Creates the demo project (once) and a first deploy of its initial version, so its site opens at once. */
export async function ensureDemoProject({ db, home, siteUrl }: { db: Db; home: string; siteUrl: string }): Promise<{ projectId: string; created: boolean }> {
  const [existing] = await db.select({ id: projects.id }).from(projects).where(eq(projects.name, DEMO_PROJECT_NAME));
  if (existing) return { projectId: existing.id, created: false };
  const { remoteUrl } = await createDemoRepository({ stateDir: home });
  await execa(process.execPath, [path.join(projectRoot, 'demo', 'deploy-site.mjs'), DEMO_TEMPLATE_DIR, demoSiteDir(home)], {
    env: { VIBN_COMMIT: 'initial' },
  });
  const [row] = await db
    .insert(projects)
    // Made by the operator's own start, like a project the admin created: its repository is the admin's.
    .values({ name: DEMO_PROJECT_NAME, repoUrl: remoteUrl, repoUrlByAdmin: true, deploy: { kind: 'command', command: DEMO_DEPLOY_COMMAND, url: siteUrl } })
    .returning({ id: projects.id });
  // Six weeks of product analytics with a planted drop, so "Why did signups drop last week?" has an answer.
  await seedAnalyticsData(db, row!.id);
  return { projectId: row!.id, created: true };
}
