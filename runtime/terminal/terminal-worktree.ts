/**
 * The founder's terminal works in a worktree of its own, `<project root>/terminals/main`, detached at the
 * remote's default branch. Never in the clone itself: request and task worktrees hang off it, and a shell
 * that switched its branch or left it dirty would break the next request's git steps.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { resolveCommit } from '../git/refs.js';
import { runGit } from '../git/run-git.js';
import type { WorkspaceLayout } from '../workspace/layout.js';

/** Where a project's terminal opens. `<root>/<kind>/<id>`, the shape `sandboxFor` expects of a worktree. */
export const terminalDir = (layout: WorkspaceLayout) => path.join(layout.root, 'terminals', 'main');

/** How the terminal's folder is named to the founder, instead of a path on the server. */
export const TERMINAL_CWD = 'terminals/main';

/** Whether the terminal's worktree is there and usable (a worktree with a commit checked out). */
export async function hasTerminalWorktree(layout: WorkspaceLayout): Promise<boolean> {
  const dir = terminalDir(layout);
  const gitFile = await fs.stat(path.join(dir, '.git')).catch(() => undefined);
  if (!gitFile) return false;
  return (await resolveCommit(dir, 'HEAD').catch(() => undefined)) !== undefined;
}

/**
 * Makes the terminal's worktree from the clone (which must exist), detached at `origin/<defaultBranch>`, unless
 * a usable one is already there: what the founder changed in it stays between terminals. Returns its folder.
 */
export async function ensureTerminalWorktree(layout: WorkspaceLayout, defaultBranch: string): Promise<string> {
  const dir = terminalDir(layout);
  if (await hasTerminalWorktree(layout)) return dir;
  // A crash or a sweep may have left a half-made folder or a stale registration behind.
  await fs.rm(dir, { recursive: true, force: true });
  await runGit(layout.repo, ['worktree', 'prune']);
  await fs.mkdir(path.dirname(dir), { recursive: true });
  // Detached: a branch would be one more ref in the clone that requests' branch bookkeeping has to step around.
  await runGit(layout.repo, ['worktree', 'add', '--detach', dir, `origin/${defaultBranch}`]);
  return dir;
}
