/**
 * Gets a project's working copy ready for an agent: cloned when missing, refreshed when present. Built to be
 * retried: a clone happens in a temporary sibling folder and is renamed into place only when complete, a
 * working copy a crash left unusable is replaced, and an agent's uncommitted work is kept unless the caller
 * explicitly asks for a fresh start.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withGitAuth, type GitAuth, type GitCredentials } from './credentials.js';
import { headCommit, isAncestor, resolveCommit } from './refs.js';
import { runGit } from './run-git.js';

export type PrepareWorkingCopyInput = {
  /** Where to clone from and fetch from: a URL or a path to a repository, with no credentials in it. */
  remoteUrl: string;
  branch: string;
  /** The working copy's folder; created (with its parents) when missing. */
  dir: string;
  /** Discard local commits, changes and untracked or ignored files, matching origin/<branch> exactly. */
  fresh?: boolean;
  /** How to authenticate to the remote; without them git uses the URL as it is (or ssh-agent). */
  credentials?: GitCredentials;
};

type DirState = 'missing' | 'empty' | 'valid' | 'broken';

const exists = (file: string) =>
  fs.access(file).then(
    () => true,
    () => false,
  );

/** Leftovers of earlier attempts: clones cut short and broken copies moved aside but not yet deleted. */
async function removeLeftovers(dir: string): Promise<void> {
  const prefix = path.basename(dir);
  const siblings = await fs.readdir(path.dirname(dir)).catch(() => [] as string[]);
  for (const name of siblings) {
    if (name.startsWith(`${prefix}.cloning-`) || name.startsWith(`${prefix}.broken-`)) {
      await fs.rm(path.join(path.dirname(dir), name), { recursive: true, force: true });
    }
  }
}

async function inspect(dir: string): Promise<DirState> {
  const entries = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (entries === undefined) return 'missing';
  if (entries.length === 0) return 'empty';
  // Never delete a folder we did not make: without .git this is not a clone, half-done or otherwise.
  if (!entries.includes('.git')) throw new Error(`${dir} exists and is not a git working copy; refusing to replace it`);
  try {
    const { stdout } = await runGit(dir, ['rev-parse', '--show-toplevel']);
    // A damaged .git makes git look upward and find some enclosing repository instead.
    if (stdout.trim() !== (await fs.realpath(dir))) return 'broken';
    return (await resolveCommit(dir, 'HEAD')) ? 'valid' : 'broken';
  } catch {
    return 'broken';
  }
}

async function cloneInto(input: PrepareWorkingCopyInput, dir: string, auth: GitAuth): Promise<void> {
  const temp = `${dir}.cloning-${randomBytes(4).toString('hex')}`;
  await fs.mkdir(path.dirname(dir), { recursive: true });
  await runGit(path.dirname(dir), ['clone', '--branch', input.branch, '--', input.remoteUrl, temp], { auth });
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rename(temp, dir);
}

/** Puts back a working copy that a crash left in the middle of a rebase or merge, or holding a lock. */
async function recoverInterrupted(dir: string): Promise<void> {
  const gitDir = path.join(dir, '.git');
  if ((await exists(path.join(gitDir, 'rebase-merge'))) || (await exists(path.join(gitDir, 'rebase-apply')))) {
    await runGit(dir, ['rebase', '--abort']);
  }
  if (await exists(path.join(gitDir, 'MERGE_HEAD'))) await runGit(dir, ['merge', '--abort']);
  // Only VIBN runs git here, one activity at a time per project, so a lock left behind is a crash's.
  await fs.rm(path.join(gitDir, 'index.lock'), { force: true });
}

async function refresh(input: PrepareWorkingCopyInput, dir: string, auth: GitAuth): Promise<void> {
  await recoverInterrupted(dir);
  const origin = await runGit(dir, ['remote', 'get-url', 'origin'], { allowExitCodes: [2] });
  // The URL can change under us (a rotated token, a moved repository); the configured one is the truth.
  if (origin.exitCode !== 0) await runGit(dir, ['remote', 'add', 'origin', input.remoteUrl]);
  else if (origin.stdout.trim() !== input.remoteUrl) await runGit(dir, ['remote', 'set-url', 'origin', input.remoteUrl]);
  await runGit(dir, ['fetch', '--no-tags', 'origin'], { auth });
  if (input.fresh) {
    // checkout -f -B is a hard reset that also switches branch when the copy was left on another one.
    await runGit(dir, ['checkout', '--force', '-B', input.branch, `origin/${input.branch}`]);
    // -ff also removes nested repositories an agent may have created.
    await runGit(dir, ['clean', '-ffdx']);
    return;
  }
  const current = await runGit(dir, ['symbolic-ref', '--quiet', '--short', 'HEAD'], { allowExitCodes: [1] });
  // A plain checkout carries uncommitted changes along, and refuses rather than lose them.
  if (current.stdout.trim() !== input.branch) await runGit(dir, ['checkout', input.branch]);
  // Start from the remote's latest when that is safe: never past local commits, and git itself refuses
  // (exit 1) rather than touch a file with local changes, leaving the copy exactly as it was.
  const upstream = `origin/${input.branch}`;
  if (await isAncestor(dir, 'HEAD', upstream)) {
    await runGit(dir, ['merge', '--ff-only', '--quiet', upstream], { allowExitCodes: [1] });
  }
}

/**
 * Makes `dir` a working copy of `remoteUrl` on `branch` and returns its HEAD commit. A missing or empty
 * folder is cloned into; an existing working copy is fetched and, only with `fresh`, reset to the remote
 * branch and cleaned. Otherwise it keeps local commits and uncommitted changes (a crashed agent's work
 * survives a retry), and is fast-forwarded to the remote branch only where that touches none of them. A folder a crash left broken (a `.git` with no valid HEAD) is replaced by a new clone;
 * a non-empty folder without `.git` is refused rather than deleted. `credentials`, when given, are used for
 * the clone and fetch only and are not stored in the working copy.
 */
export async function prepareWorkingCopy(input: PrepareWorkingCopyInput): Promise<{ head: string; cloned: boolean }> {
  const dir = path.resolve(input.dir);
  await removeLeftovers(dir);
  const state = await inspect(dir);
  if (state === 'broken') {
    // Moved aside first so a crash during the delete leaves a leftover, never a half-deleted copy at `dir`.
    const aside = `${dir}.broken-${randomBytes(4).toString('hex')}`;
    await fs.rename(dir, aside);
    await fs.rm(aside, { recursive: true, force: true });
  }
  return withGitAuth(
    input.credentials,
    async (auth) => {
      if (state === 'valid') {
        await refresh(input, dir, auth);
        return { head: await headCommit(dir), cloned: false };
      }
      await cloneInto(input, dir, auth);
      return { head: await headCommit(dir), cloned: true };
    },
    { remoteUrl: input.remoteUrl },
  );
}
