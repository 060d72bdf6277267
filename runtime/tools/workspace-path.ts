/**
 * The path rule every file tool follows: a path names something inside the workspace once symlinks are
 * resolved, and nothing is written under `.git`. This keeps an agent's slip (an absolute path, a `..`, a
 * symlink to /etc) from touching the worker's files. It is a guard rail, not a sandbox: `execute_command`
 * runs arbitrary shell in the same workspace.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolError } from './tool-error.js';

/** A requested path after the rule has passed it. */
export type WorkspacePath = {
  /** Real absolute path (symlinks resolved as far as the path exists). */
  absolute: string;
  /** Relative to the workspace root, with `/` separators; `.` for the root itself. */
  relative: string;
  /** The workspace root's real path. */
  realRoot: string;
};

/**
 * Resolves `requested` (relative to `root`, or absolute inside it) and refuses paths that end up outside the
 * workspace. A path that does not exist yet is judged by its nearest existing ancestor, so `write_file` can
 * create new files but not through a symlinked folder pointing elsewhere.
 */
export async function resolveWorkspacePath(
  root: string,
  requested: string,
  options: { forWrite?: boolean } = {},
): Promise<WorkspacePath> {
  const realRoot = await fs.realpath(root);
  const lexical = path.resolve(realRoot, requested);
  if (!isInside(realRoot, lexical)) throw outside(requested);
  const absolute = await realpathAllowingMissing(lexical, 0);
  if (!isInside(realRoot, absolute)) throw outside(requested);
  const relative = path.relative(realRoot, absolute).split(path.sep).join('/') || '.';
  if (options.forWrite && relative.split('/').includes('.git')) {
    throw new ToolError(`path "${requested}" is inside .git; git's own files are not edited directly, use git commands through execute_command`);
  }
  return { absolute, relative, realRoot };
}

/** Turns an absolute real path back into the workspace-relative form tools show the model. */
export function toRelative(realRoot: string, absolute: string): string {
  return path.relative(realRoot, absolute).split(path.sep).join('/') || '.';
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function outside(requested: string): ToolError {
  return new ToolError(`path "${requested}" is outside the workspace; use a path relative to the workspace root, such as "src/index.ts"`);
}

/** Like `fs.realpath`, but resolves the missing tail lexically under the real path of what does exist. */
async function realpathAllowingMissing(p: string, depth: number): Promise<string> {
  if (depth > 40) throw new ToolError(`too many levels of symbolic links at "${p}"`);
  try {
    return await fs.realpath(p);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
  }
  const parent = await realpathAllowingMissing(path.dirname(p), depth + 1);
  const here = path.join(parent, path.basename(p));
  // A dangling symlink would be followed by a later write, so judge it by where it points.
  const stat = await fs.lstat(here).catch(() => undefined);
  if (stat?.isSymbolicLink()) {
    const target = await fs.readlink(here);
    return realpathAllowingMissing(path.resolve(parent, target), depth + 1);
  }
  return here;
}
