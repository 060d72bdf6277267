/**
 * The demo project a new user gets on first start: a bare repository standing in for "the founder's GitHub
 * repo", whose `main` holds the Acme Notes template as one initial commit. VIBN clones it, changes it and
 * pushes back to it exactly as it would with a real remote.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runGit, VIBN_IDENTITY } from '../runtime/git/run-git.js';

/** The template's files, committed as the demo's first version. */
export const DEMO_TEMPLATE_DIR = fileURLToPath(new URL('./template/', import.meta.url));

export type DemoRepository = {
  /** A file:// URL to the bare repository, usable wherever a remote URL is. */
  remoteUrl: string;
  bareDir: string;
  /** False when the repository already existed and was left untouched. */
  created: boolean;
};

const BUILD_PREFIX = '.demo-build-';

async function hasMain(bareDir: string): Promise<boolean> {
  const present = await fs.access(bareDir).then(
    () => true,
    () => false,
  );
  if (!present) return false;
  // An explicit --git-dir, so a damaged repository cannot make git find an enclosing one instead.
  const { exitCode } = await runGit(path.dirname(bareDir), ['--git-dir', bareDir, 'rev-parse', '--verify', '--quiet', 'refs/heads/main^{commit}'], {
    allowExitCodes: [1, 128],
  });
  return exitCode === 0;
}

/** Builds the repository in a scratch folder beside `bareDir`, so it appears there complete or not at all. */
async function buildInto(bareDir: string): Promise<boolean> {
  const gitRoot = path.dirname(bareDir);
  const scratch = await fs.mkdtemp(path.join(gitRoot, BUILD_PREFIX));
  try {
    const seed = path.join(scratch, 'seed');
    const staged = path.join(scratch, 'demo.git');
    await fs.cp(DEMO_TEMPLATE_DIR, seed, { recursive: true });
    await runGit(scratch, ['init', '--quiet', '--initial-branch=main', seed]);
    await runGit(seed, ['add', '--all']);
    await runGit(seed, ['commit', '--quiet', '-m', 'Acme Notes: first version'], { author: VIBN_IDENTITY });
    await runGit(scratch, ['init', '--quiet', '--bare', '--initial-branch=main', staged]);
    await runGit(seed, ['push', '--quiet', staged, 'main:main']);
    try {
      await fs.rename(staged, bareDir);
      return true;
    } catch (err) {
      // Another start raced us and won; its repository is as good as ours.
      if (await hasMain(bareDir)) return false;
      throw err;
    }
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Creates the demo repository at `<stateDir>/git/demo.git` unless it already exists with a `main` branch,
 * and returns where it is. Safe to call on every start and after a crash: an interrupted build leaves only
 * a scratch folder, removed on the next call, and an existing demo (with the founder's changes) is kept.
 */
export async function createDemoRepository({ stateDir }: { stateDir: string }): Promise<DemoRepository> {
  const bareDir = path.join(path.resolve(stateDir), 'git', 'demo.git');
  const result = (created: boolean): DemoRepository => ({ remoteUrl: pathToFileURL(bareDir).href, bareDir, created });
  if (await hasMain(bareDir)) return result(false);

  const gitRoot = path.dirname(bareDir);
  await fs.mkdir(gitRoot, { recursive: true });
  for (const name of await fs.readdir(gitRoot)) {
    if (name.startsWith(BUILD_PREFIX)) await fs.rm(path.join(gitRoot, name), { recursive: true, force: true });
  }
  // Only a folder without a main branch reaches here: never a demo someone has worked on.
  await fs.rm(bareDir, { recursive: true, force: true });
  return result(await buildInto(bareDir));
}
