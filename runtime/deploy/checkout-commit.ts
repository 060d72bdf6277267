/**
 * A working copy of one earlier commit, for a command deployer asked to deploy it again (a rollback). Built on
 * prepareWorkingCopy, so a retry reuses or repairs what an interrupted attempt left.
 */
import { prepareWorkingCopy, resolveCommit } from '../git/index.js';
import { runGit } from '../git/run-git.js';

/** Thrown when the repository does not have the commit (history rewritten, or never pushed): retrying cannot help. */
export class CommitNotFoundError extends Error {
  override readonly name = 'CommitNotFoundError';
  constructor(readonly commit: string) {
    super(`The repository has no commit ${commit} any more, so it cannot be deployed again`);
  }
}

/** A commit id as git prints it; anything else (an option, a ref name) is refused before git sees it. */
const COMMIT = /^[0-9a-f]{7,64}$/i;

/** Makes `dir` a clean, detached working copy of `commit` from `remoteUrl`. */
export async function checkoutCommit(input: { remoteUrl: string; branch: string; commit: string; dir: string }): Promise<void> {
  if (!COMMIT.test(input.commit)) throw new CommitNotFoundError(input.commit);
  await prepareWorkingCopy({ remoteUrl: input.remoteUrl, branch: input.branch, dir: input.dir, fresh: true });
  if (!(await resolveCommit(input.dir, input.commit))) {
    // Not on the default branch any more; servers that allow fetching a commit by id still have it.
    await runGit(input.dir, ['fetch', '--no-tags', 'origin', input.commit], { allowExitCodes: [1, 128] });
    if (!(await resolveCommit(input.dir, input.commit))) throw new CommitNotFoundError(input.commit);
  }
  await runGit(input.dir, ['checkout', '--force', '--detach', input.commit]);
  await runGit(input.dir, ['clean', '-ffdx']);
}
