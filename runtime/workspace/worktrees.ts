/**
 * Git worktrees for parallel tasks. A request gets its own worktree on an integration branch cut from the
 * project's default branch; each task gets a worktree on its own branch cut from the integration branch as it
 * stands when the task starts (so it sees its dependencies' merged work). Finished tasks are merged back one
 * at a time. Every step can be repeated after a crash and ends in the same state.
 */
import fs from 'node:fs/promises';
import { commitAll } from '../git/commit-all.js';
import { isAncestor, resolveCommit } from '../git/refs.js';
import { withGitAuth, type GitCredentials } from '../git/credentials.js';
import { runGit } from '../git/run-git.js';
import { requestIdsAtHead } from '../git/commit-all.js';
import { redactText } from '../../lib/redact.js';
import { requestBranch, taskBranch, type WorkspaceLayout } from './layout.js';

const exists = (file: string) =>
  fs.access(file).then(
    () => true,
    () => false,
  );

/** Adds a worktree at `dir` on `branch` starting at `from`, unless a valid one is already there. */
async function ensureWorktree(repo: string, dir: string, branch: string, from: string) {
  if (await resolveCommit(dir, 'HEAD').catch(() => undefined)) return;
  // A crash may have left a half-made folder or a stale registration behind.
  await fs.rm(dir, { recursive: true, force: true });
  await runGit(repo, ['worktree', 'prune']);
  const branchExists = await resolveCommit(repo, `refs/heads/${branch}`);
  await runGit(repo, branchExists ? ['worktree', 'add', dir, branch] : ['worktree', 'add', '-b', branch, dir, from]);
}

/** The request's integration worktree, cut from `origin/<defaultBranch>` in the project's clone. */
export async function ensureRequestWorktree(layout: WorkspaceLayout, conversationId: string, defaultBranch: string) {
  const dir = layout.requestDir(conversationId);
  await ensureWorktree(layout.repo, dir, requestBranch(conversationId), `origin/${defaultBranch}`);
  return dir;
}

/** A task's worktree, cut from the integration branch: its dependencies are already merged there. */
export async function ensureTaskWorktree(layout: WorkspaceLayout, conversationId: string, sessionId: string, taskId: string) {
  const dir = layout.taskDir(sessionId);
  await ensureWorktree(layout.repo, dir, taskBranch(conversationId, taskId), requestBranch(conversationId));
  return dir;
}

/** Thrown when a change about to be committed carries something that looks like a secret. */
export class SecretInChangeError extends Error {
  override readonly name = 'SecretInChangeError';
}

/** Commits what the task changed on its branch (concluding a conflict resolution too); a no-op when clean. */
export async function commitTask(dir: string, title: string) {
  await runGit(dir, ['add', '-A']);
  const { stdout: diff } = await runGit(dir, ['diff', '--cached', '--no-color', '-U0']);
  if (redactText(diff) !== diff) {
    await runGit(dir, ['reset', '--quiet']);
    throw new SecretInChangeError('The change contains what looks like a secret (a key, token or password), so it was not committed.');
  }
  const merging = await resolveCommit(dir, 'MERGE_HEAD');
  const { exitCode } = await runGit(dir, ['diff', '--cached', '--quiet'], { allowExitCodes: [1] });
  if (exitCode === 0 && !merging) return { changed: false };
  await runGit(dir, merging ? ['commit', '--no-edit', '--no-verify'] : ['commit', '--no-verify', '-m', title]);
  return { changed: true };
}

export type MergeResult = { ok: true } | { ok: false; conflicts: string[] };

/** Merges a task's branch into the integration worktree; on conflict, leaves it exactly as it was. */
export async function mergeTask(requestDir: string, branch: string, title: string): Promise<MergeResult> {
  if (await isAncestor(requestDir, branch, 'HEAD')) return { ok: true };
  const { exitCode } = await runGit(requestDir, ['merge', '--no-ff', '--no-verify', '-m', `Merge task: ${title}`, branch], { allowExitCodes: [1] });
  if (exitCode === 0) return { ok: true };
  const { stdout } = await runGit(requestDir, ['diff', '--name-only', '--diff-filter=U']);
  await runGit(requestDir, ['merge', '--abort']);
  return { ok: false, conflicts: stdout.split('\n').filter(Boolean) };
}

/**
 * Brings the integration branch into a task's worktree so its agent can resolve the conflict there: the
 * conflicted files keep their markers until the agent edits them. Returns the files in conflict.
 */
export async function startConflictResolution(taskDir: string, conversationId: string): Promise<string[]> {
  if (!(await resolveCommit(taskDir, 'MERGE_HEAD'))) {
    await runGit(taskDir, ['merge', '--no-commit', '--no-ff', requestBranch(conversationId)], { allowExitCodes: [1] });
  }
  const { stdout } = await runGit(taskDir, ['diff', '--name-only', '--diff-filter=U']);
  return stdout.split('\n').filter(Boolean);
}

/**
 * Turns the integration branch into one commit on top of where it started, carrying the request's trailer:
 * the founder's history reads one change per request. Repeatable: a HEAD that already carries the trailer
 * is left alone.
 */
export async function squashRequest(requestDir: string, defaultBranch: string, message: string, requestId: string) {
  if ((await requestIdsAtHead(requestDir)).includes(requestId)) {
    return { commit: (await resolveCommit(requestDir, 'HEAD'))!, empty: false };
  }
  const { stdout: base } = await runGit(requestDir, ['merge-base', 'HEAD', `origin/${defaultBranch}`]);
  await runGit(requestDir, ['reset', '--soft', base.trim()]);
  const result = await commitAll({ dir: requestDir, message, requestId });
  return { commit: result.commit, empty: result.empty };
}

/** Removes a request's worktrees and branches; the project's clone stays for the next request. */
export async function removeRequestWorktrees(layout: WorkspaceLayout, conversationId: string, sessionIds: string[]) {
  const dirs = [layout.requestDir(conversationId), ...sessionIds.map((s) => layout.taskDir(s))];
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
  if (!(await exists(layout.repo))) return;
  await runGit(layout.repo, ['worktree', 'prune']);
  const { stdout } = await runGit(layout.repo, [
    'for-each-ref',
    '--format=%(refname:short)',
    `refs/heads/${requestBranch(conversationId)}`,
    `refs/heads/vibn/task/${conversationId}`,
  ]);
  const branches = stdout.split('\n').filter(Boolean);
  if (branches.length) await runGit(layout.repo, ['branch', '-D', ...branches]);
}

export type RebaseResult = { rebased: boolean } | { conflicts: string[] };

/**
 * Brings the request's commit up to the remote branch as it is now: fetches, and rebases when someone pushed
 * meanwhile, so the checks can run again on what will really land. A clash leaves the worktree as it was.
 */
export async function rebaseOntoRemote(dir: string, branch: string, remoteUrl: string, credentials?: GitCredentials): Promise<RebaseResult> {
  await withGitAuth(credentials, (auth) => runGit(dir, ['fetch', '--quiet', 'origin', branch], { auth }), { remoteUrl });
  const upstream = `origin/${branch}`;
  if (await isAncestor(dir, upstream, 'HEAD')) return { rebased: false };
  const { exitCode } = await runGit(dir, ['rebase', '--no-verify', upstream], { allowExitCodes: [1] });
  if (exitCode === 0) return { rebased: true };
  const { stdout } = await runGit(dir, ['diff', '--name-only', '--diff-filter=U']);
  await runGit(dir, ['rebase', '--abort']);
  return { conflicts: stdout.split('\n').filter(Boolean) };
}
