/** Turning names into commits, the small question most git operations start with. */
import { runGit } from './run-git.js';

/** The commit `ref` names in `dir`, or undefined when it names none (an unborn branch, a missing ref). */
export async function resolveCommit(dir: string, ref: string): Promise<string | undefined> {
  const { stdout, exitCode } = await runGit(dir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
    allowExitCodes: [1],
  });
  return exitCode === 0 ? stdout.trim() : undefined;
}

/** The commit HEAD points at; throws when there is none, since every working copy VIBN uses has one. */
export async function headCommit(dir: string): Promise<string> {
  const head = await resolveCommit(dir, 'HEAD');
  if (!head) throw new Error(`${dir} has no commit at HEAD`);
  return head;
}

/** True when `ancestor` is `descendant` or lies in its history. */
export async function isAncestor(dir: string, ancestor: string, descendant: string): Promise<boolean> {
  const { exitCode } = await runGit(dir, ['merge-base', '--is-ancestor', ancestor, descendant], { allowExitCodes: [1] });
  return exitCode === 0;
}
