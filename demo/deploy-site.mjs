#!/usr/bin/env node
/**
 * The demo project's deploy command: publishes `<sourceDir>/public` as a static site.
 *
 *   node demo/deploy-site.mjs <sourceDir> <sitesDir>
 *
 * Each deploy becomes its own release folder, `<sitesDir>/<commit>` (or a timestamp when VIBN_COMMIT is
 * unset), and `<sitesDir>/current` is switched to it by renaming a new symlink over the old one, so a
 * visitor sees either the old site or the new one, never half of each. A release folder is only ever
 * complete (it is copied under a temporary name first), so deploying the same commit again reuses it.
 * Every run appends one line to `<sitesDir>/deploys.log`: ISO time, commit, release folder.
 * Plain Node with no dependencies, because the demo must work before anything is installed.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

function fail(message) {
  console.error(`deploy-site: ${message}`);
  process.exit(1);
}

const exists = (file) =>
  fs.access(file).then(
    () => true,
    () => false,
  );

/** A folder name safe to derive from the commit: git hashes are, but the variable comes from outside. */
function releaseName(commit, now) {
  if (commit) {
    if (!/^[0-9a-zA-Z._-]{1,100}$/.test(commit) || commit.startsWith('.')) fail(`VIBN_COMMIT is not a usable name: ${commit}`);
    return commit;
  }
  return `t-${now.toISOString().replace(/[:.]/g, '-')}`;
}

/** Whether a file of the source is published: folders and regular files, never links, devices or pipes. */
async function publishable(source) {
  const stat = await fs.lstat(source);
  if (stat.isDirectory() || stat.isFile()) return true;
  console.log(`skipped ${source}: not a regular file`);
  return false;
}

async function main() {
  const [sourceDir, sitesDir] = process.argv.slice(2);
  if (!sourceDir || !sitesDir) fail('usage: node demo/deploy-site.mjs <sourceDir> <sitesDir>');
  const publicDir = path.resolve(sourceDir, 'public');
  if (!(await exists(path.join(publicDir, 'index.html')))) fail(`${publicDir} has no index.html; nothing to publish`);

  const now = new Date();
  const commit = process.env.VIBN_COMMIT?.trim() || '';
  const name = releaseName(commit, now);
  const sites = path.resolve(sitesDir);
  const release = path.join(sites, name);
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.mkdir(sites, { recursive: true });

  if (await exists(release)) {
    console.log(`release ${name} already published; reusing it`);
  } else {
    const staging = path.join(sites, `.staging-${name}-${suffix}`);
    // Folders and regular files only: the site is served by VIBN's own process, and a symlink the project's
    // code left (public/leak -> /etc/shadow, say) would be served as whatever it points at.
    await fs.cp(publicDir, staging, { recursive: true, filter: publishable });
    try {
      await fs.rename(staging, release);
    } catch (err) {
      // A concurrent deploy of the same commit finished first; its copy is as good as ours.
      await fs.rm(staging, { recursive: true, force: true });
      if (!(await exists(release))) throw err;
    }
  }

  // A relative target keeps the sites folder movable.
  const link = path.join(sites, `.current-${suffix}`);
  await fs.symlink(name, link);
  await fs.rename(link, path.join(sites, 'current'));

  await fs.appendFile(path.join(sites, 'deploys.log'), `${now.toISOString()} ${commit || '-'} ${name}\n`);
  console.log(`published ${name}: ${path.join(sites, 'current', 'index.html')}`);
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
