/** Why a push could not land, as far as VIBN can tell. */
export type PushRejectionReason =
  /** Someone else changed the same lines on the remote branch; rebasing our commit onto theirs conflicted. */
  | 'conflict'
  /** The branch moved again between our rebase and our second push; a later attempt will likely succeed. */
  | 'non-fast-forward'
  /** The remote refused the update itself (a protected branch, a server-side hook). */
  | 'remote-rejected'
  /** There were uncommitted changes, so there was nothing safe to rebase. */
  | 'dirty-working-copy';

/**
 * Thrown by `pushBranch` when the remote branch has moved in a way VIBN cannot settle alone: a rebase onto it
 * conflicted (the rebase is aborted first, so the working copy is left as it was), the branch moved again
 * during our one retry, or the remote refused the update. `retryable` says whether simply running the push
 * again can help; otherwise someone (an agent, the founder) has to resolve `conflictingFiles` first.
 */
export class PushRejectedError extends Error {
  override readonly name = 'PushRejectedError';
  readonly retryable: boolean;

  constructor(
    readonly reason: PushRejectionReason,
    readonly branch: string,
    /** The commit we tried to push. */
    readonly commit: string,
    /** Files that conflicted during the rebase; empty for other reasons. */
    readonly conflictingFiles: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(PushRejectedError.describe(reason, branch, conflictingFiles), options);
    // A server's refusal may be passing (a hook that declines while CI runs, a branch locked for a moment), so
    // it is retried within the push's bounded attempts; a refusal that lasts ends the request in plain words.
    this.retryable = reason === 'non-fast-forward' || reason === 'remote-rejected';
  }

  private static describe(reason: PushRejectionReason, branch: string, files: readonly string[]): string {
    switch (reason) {
      case 'conflict':
        return `pushing to ${branch} needs a rebase onto the remote, and it conflicts in: ${files.join(', ') || 'unknown files'}`;
      case 'non-fast-forward':
        return `${branch} moved on the remote again while VIBN was rebasing onto it; try the push again`;
      case 'remote-rejected':
        return `the remote refused the update to ${branch} (protected branch or server hook)`;
      case 'dirty-working-copy':
        return `${branch} moved on the remote, and the working copy has uncommitted changes; commit them before pushing`;
    }
  }
}
