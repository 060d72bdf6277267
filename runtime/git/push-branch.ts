/**
 * Pushes a commit to a branch of the project's remote, once. When someone else pushed to the branch first,
 * the commit is rebased onto theirs and pushed one more time; a conflict is handed back as a
 * {@link PushRejectedError} with the working copy put back as it was.
 */
import { PushRejectedError } from './push-rejected-error.js';
import { headCommit, isAncestor, resolveCommit } from './refs.js';
import { GitCommandError, runGit, splitNul } from './run-git.js';

export type PushBranchInput = {
  dir: string;
  /** A remote name or URL. */
  remote?: string;
  /** What to push: HEAD, a local branch name, or a commit. */
  localRef?: string;
  /** The branch on the remote, without `refs/heads/`. */
  branch: string;
};

export type PushBranchResult = {
  /** False when the remote branch already held the commit and nothing was sent. */
  pushed: boolean;
  /** The commit the remote branch now holds for us (the rebased one after a rebase). */
  commit: string;
  /** True when the commit had to be rebased onto the remote branch before it could land. */
  rebased: boolean;
};

type PushOutcome = 'pushed' | 'non-fast-forward' | 'remote-rejected';

/** The commit the remote branch points at, or undefined when the branch does not exist yet. */
async function remoteTip(dir: string, remote: string, branch: string): Promise<string | undefined> {
  const { stdout } = await runGit(dir, ['ls-remote', '--heads', remote, `refs/heads/${branch}`]);
  const line = stdout.split('\n').find((l) => l.endsWith(`\trefs/heads/${branch}`));
  return line?.split('\t')[0];
}

async function fetchBranch(dir: string, remote: string, branch: string): Promise<string> {
  await runGit(dir, ['fetch', '--no-tags', remote, `refs/heads/${branch}`]);
  const fetched = await resolveCommit(dir, 'FETCH_HEAD');
  if (!fetched) throw new Error(`fetching ${branch} from the remote gave no commit`);
  return fetched;
}

/** Whether the remote branch at `tip` already holds `commit`, fetching `tip` first if we lack it. */
async function remoteHolds(dir: string, remote: string, branch: string, tip: string, commit: string): Promise<boolean> {
  if (tip === commit) return true;
  const known = await runGit(dir, ['cat-file', '-e', `${tip}^{commit}`], { allowExitCodes: [1, 128] });
  if (known.exitCode !== 0) await fetchBranch(dir, remote, branch);
  return isAncestor(dir, commit, tip);
}

/** Pushes without force; `--porcelain` gives one machine-readable line per ref instead of prose to match. */
async function tryPush(dir: string, remote: string, commit: string, branch: string): Promise<PushOutcome> {
  const args = ['push', '--porcelain', '--no-verify', remote, `${commit}:refs/heads/${branch}`];
  const result = await runGit(dir, args, { allowExitCodes: [1] });
  if (result.exitCode === 0) return 'pushed';
  const refLine = result.stdout.split('\n').find((l) => l.startsWith('!\t'));
  const summary = refLine?.split('\t')[2] ?? '';
  if (summary.startsWith('[rejected]')) return 'non-fast-forward';
  if (summary.startsWith('[remote rejected]')) return 'remote-rejected';
  throw new GitCommandError(['push', remote, `${commit}:refs/heads/${branch}`], result.exitCode, result.stderr);
}

/** Rebases `localRef` onto `upstream` and returns the new commit; on conflict aborts and throws. */
async function rebaseOnto(dir: string, localRef: string, upstream: string, branch: string, commit: string): Promise<string> {
  const dirty = await runGit(dir, ['status', '--porcelain', '--untracked-files=no']);
  if (dirty.stdout.trim() !== '') throw new PushRejectedError('dirty-working-copy', branch, commit);
  const args = ['rebase', '--no-autostash', upstream, ...(localRef === 'HEAD' ? [] : [localRef])];
  try {
    await runGit(dir, args);
  } catch (err) {
    const inRebase = await runGit(dir, ['rev-parse', '--verify', '--quiet', 'REBASE_HEAD'], { allowExitCodes: [1] });
    if (inRebase.exitCode !== 0) throw err;
    const { stdout } = await runGit(dir, ['diff', '--name-only', '-z', '--diff-filter=U']);
    await runGit(dir, ['rebase', '--abort']);
    throw new PushRejectedError('conflict', branch, commit, splitNul(stdout), { cause: err });
  }
  return headCommit(dir);
}

/**
 * Pushes `localRef` (default HEAD) to `branch` on `remote` (default origin). A no-op (`pushed: false`) when
 * the remote branch already points at or contains the commit, so a retry after a lost reply sends nothing.
 * When the push is refused because the branch moved, fetches it, rebases onto it and pushes once more
 * (`rebased: true`). Throws {@link PushRejectedError} when that rebase conflicts, the branch moves again,
 * or the remote refuses the update; throws GitCommandError for anything else (network, authentication).
 */
export async function pushBranch(input: PushBranchInput): Promise<PushBranchResult> {
  const { dir, branch } = input;
  const remote = input.remote ?? 'origin';
  const localRef = input.localRef ?? 'HEAD';
  const commit = await resolveCommit(dir, localRef);
  if (!commit) throw new Error(`${localRef} names no commit in ${dir}`);

  const tip = await remoteTip(dir, remote, branch);
  if (tip && (await remoteHolds(dir, remote, branch, tip, commit))) return { pushed: false, commit, rebased: false };

  const first = await tryPush(dir, remote, commit, branch);
  if (first === 'pushed') return { pushed: true, commit, rebased: false };
  if (first === 'remote-rejected') throw new PushRejectedError('remote-rejected', branch, commit);

  const upstream = await fetchBranch(dir, remote, branch);
  if (await isAncestor(dir, commit, upstream)) return { pushed: false, commit, rebased: false };
  const rebasedCommit = await rebaseOnto(dir, localRef, upstream, branch, commit);
  const second = await tryPush(dir, remote, rebasedCommit, branch);
  if (second === 'pushed') return { pushed: true, commit: rebasedCommit, rebased: true };
  throw new PushRejectedError(second, branch, rebasedCommit);
}
