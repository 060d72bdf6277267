/**
 * Commits everything an agent changed, once per request. The request id rides in a git trailer, so a
 * retried activity whose first reply was lost finds its own commit at HEAD instead of making a second one.
 */
import { headCommit, resolveCommit } from './refs.js';
import { runGit, type GitIdentity } from './run-git.js';

/** The trailer key that ties a commit to the VIBN request that made it. */
export const REQUEST_TRAILER = 'VIBN-Request';

export type CommitAllInput = {
  dir: string;
  /** The commit message; any `VIBN-Request:` lines in it are dropped, since only VIBN may write that trailer. */
  message: string;
  /** The business id that makes this commit idempotent; one line, no spaces. */
  requestId: string;
  /** Defaults to `VIBN <vibn@localhost>`; the committer is always VIBN. */
  author?: GitIdentity;
};

export type CommitAllResult = {
  /** The new commit, or HEAD when none was made. */
  commit: string;
  /** True only when this call made a commit. */
  created: boolean;
  /** True when there was nothing to commit (and HEAD did not already carry the request). */
  empty: boolean;
};

/** The request ids HEAD's message carries as `VIBN-Request:` trailers. */
export async function requestIdsAtHead(dir: string): Promise<string[]> {
  const { stdout } = await runGit(dir, ['log', '-1', `--format=%(trailers:key=${REQUEST_TRAILER},valueonly)`]);
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/** The message VIBN commits: the caller's text, minus forged trailers, plus our own. */
export function messageWithTrailer(message: string, requestId: string): string {
  const forged = new RegExp(`^\\s*${REQUEST_TRAILER}\\s*:`, 'i');
  const body = message
    .split('\n')
    .filter((line) => !forged.test(line))
    .join('\n')
    .trim();
  return `${body || 'Update'}\n\n${REQUEST_TRAILER}: ${requestId}\n`;
}

/**
 * Stages every change in `dir` (new, modified, deleted files) and commits it with a `VIBN-Request:
 * <requestId>` trailer. When HEAD already carries that trailer, returns HEAD with `created: false` and
 * commits nothing; when there is nothing to commit, returns HEAD with `created: false, empty: true`.
 */
export async function commitAll(input: CommitAllInput): Promise<CommitAllResult> {
  if (!/^[\w.:@/+-]+$/.test(input.requestId)) {
    throw new Error(`requestId must be one word of letters, digits and . _ : @ / + - (got ${JSON.stringify(input.requestId)})`);
  }
  const hasHead = (await resolveCommit(input.dir, 'HEAD')) !== undefined;
  if (hasHead && (await requestIdsAtHead(input.dir)).includes(input.requestId)) {
    return { commit: await headCommit(input.dir), created: false, empty: false };
  }
  await runGit(input.dir, ['add', '--all']);
  const staged = await runGit(input.dir, ['diff', '--cached', '--quiet', '--no-ext-diff'], { allowExitCodes: [1] });
  if (staged.exitCode === 0) {
    if (!hasHead) throw new Error(`${input.dir} has no commits yet and nothing to commit`);
    return { commit: await headCommit(input.dir), created: false, empty: true };
  }
  await runGit(input.dir, ['commit', '--quiet', '--no-verify', '--cleanup=verbatim', '--file=-'], {
    input: messageWithTrailer(input.message, input.requestId),
    author: input.author,
  });
  return { commit: await headCommit(input.dir), created: true, empty: false };
}
