/**
 * Pushes a commit to a branch of the project's remote, once. When someone else pushed to the branch first,
 * the commit is rebased onto theirs and pushed one more time; a conflict is handed back as a
 * {@link PushRejectedError} with the working copy put back as it was.
 */
import { withGitAuth, type GitAuth, type GitCredentials } from './credentials.js';
import { PushRejectedError } from './push-rejected-error.js';
import { headCommit, isAncestor, resolveCommit } from './refs.js';
import { GitCommandError, redact, runGit, splitNul } from './run-git.js';

export type PushBranchInput = {
  dir: string;
  /**
   * A remote name or URL. Pass the project's URL rather than `origin` with a token: a token is then given
   * only to that URL's host, whatever the working copy's (agent-writable) config says `origin` is.
   */
  remote?: string;
  /** What to push: HEAD, a local branch name, or a commit. */
  localRef?: string;
  /** The branch on the remote, without `refs/heads/`. */
  branch: string;
  /** How to authenticate to the remote for the ls-remote, fetch and push. */
  credentials?: GitCredentials;
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

/** Where and how to reach the remote, for the steps that talk to it. */
type Remote = { name: string; branch: string; auth: GitAuth };

/** The commit the remote branch points at, or undefined when the branch does not exist yet. */
async function remoteTip(dir: string, { name, branch, auth }: Remote): Promise<string | undefined> {
  const { stdout } = await runGit(dir, ['ls-remote', '--heads', name, `refs/heads/${branch}`], { auth });
  const line = stdout.split('\n').find((l) => l.endsWith(`\trefs/heads/${branch}`));
  return line?.split('\t')[0];
}

async function fetchBranch(dir: string, remote: Remote): Promise<string> {
  await runGit(dir, ['fetch', '--no-tags', remote.name, `refs/heads/${remote.branch}`], { auth: remote.auth });
  const fetched = await resolveCommit(dir, 'FETCH_HEAD');
  if (!fetched) throw new Error(`fetching ${remote.branch} from the remote gave no commit`);
  return fetched;
}

/** Whether the remote branch at `tip` already holds `commit`, fetching `tip` first if we lack it. */
async function remoteHolds(dir: string, remote: Remote, tip: string, commit: string): Promise<boolean> {
  if (tip === commit) return true;
  const known = await runGit(dir, ['cat-file', '-e', `${tip}^{commit}`], { allowExitCodes: [1, 128] });
  if (known.exitCode !== 0) await fetchBranch(dir, remote);
  return isAncestor(dir, commit, tip);
}

/**
 * Moves the remote-tracking branch to what was pushed, as a fetch would: readers of the clone (the console's
 * Browse tab) then see the latest commit without a fetch. `name` is a remote's name or its URL; a URL no
 * configured remote has gets no tracking ref.
 */
async function trackPushed(dir: string, { name, branch }: Remote, commit: string): Promise<string> {
  const { stdout } = await runGit(dir, ['config', '--get-regexp', '^remote\\..*\\.url$'], { allowExitCodes: [1] });
  for (const line of stdout.split('\n')) {
    const [, remote, url] = /^remote\.(.+)\.url (.*)$/.exec(line) ?? [];
    if (remote && (remote === name || url === name)) await runGit(dir, ['update-ref', `refs/remotes/${remote}/${branch}`, commit]);
  }
  return commit;
}

/** Pushes without force; `--porcelain` gives one machine-readable line per ref instead of prose to match. */
async function tryPush(dir: string, { name, branch, auth }: Remote, commit: string): Promise<PushOutcome> {
  const args = ['push', '--porcelain', '--no-verify', name, `${commit}:refs/heads/${branch}`];
  const result = await runGit(dir, args, { allowExitCodes: [1], auth });
  if (result.exitCode === 0) return 'pushed';
  const refLine = result.stdout.split('\n').find((l) => l.startsWith('!\t'));
  const summary = refLine?.split('\t')[2] ?? '';
  if (summary.startsWith('[rejected]')) return 'non-fast-forward';
  // Another push updated the branch between our check and our update: the server could not lock or move the
  // ref. That is a race, the same as a non-fast-forward, not a refusal.
  if (summary.startsWith('[remote rejected]') && /failed to update ref|cannot lock ref|incorrect old value/i.test(`${summary} ${result.stderr}`)) return 'non-fast-forward';
  if (summary.startsWith('[remote rejected]')) return 'remote-rejected';
  throw new GitCommandError(['push', redact(name), `${commit}:refs/heads/${branch}`], result.exitCode, redact(result.stderr));
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
 * or the remote refuses the update; throws GitAuthenticationError when the server refuses `credentials`,
 * and GitCommandError for anything else (network, a server that is down).
 */
export async function pushBranch(input: PushBranchInput): Promise<PushBranchResult> {
  const { dir, branch } = input;
  const name = input.remote ?? 'origin';
  const localRef = input.localRef ?? 'HEAD';
  const commit = await resolveCommit(dir, localRef);
  if (!commit) throw new Error(`${localRef} names no commit in ${dir}`);

  return withGitAuth(
    input.credentials,
    async (auth) => {
      const remote: Remote = { name, branch, auth };
      const tip = await remoteTip(dir, remote);
      if (tip && (await remoteHolds(dir, remote, tip, commit))) return { pushed: false, commit, rebased: false };

      const first = await tryPush(dir, remote, commit);
      if (first === 'pushed') return { pushed: true, commit: await trackPushed(dir, remote, commit), rebased: false };
      if (first === 'remote-rejected') throw new PushRejectedError('remote-rejected', branch, commit);

      const upstream = await fetchBranch(dir, remote);
      if (await isAncestor(dir, commit, upstream)) return { pushed: false, commit, rebased: false };
      const rebasedCommit = await rebaseOnto(dir, localRef, upstream, branch, commit);
      const second = await tryPush(dir, remote, rebasedCommit);
      if (second === 'pushed') return { pushed: true, commit: await trackPushed(dir, remote, rebasedCommit), rebased: true };
      throw new PushRejectedError(second, branch, rebasedCommit);
    },
    { remoteUrl: name },
  );
}
