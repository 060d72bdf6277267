import path from 'node:path';
import type { SandboxSetting } from '../sandbox/index.js';

/**
 * The sandbox every agent command of a worktree runs under: bubblewrap with the project's cache folder as
 * HOME (npm and other tools keep their caches there across requests and cold starts), or, only when the
 * operator said so, no sandbox at all.
 */
export function sandboxFor(
  workdir: string,
  unsandboxed: boolean,
  project: { allowNetwork: boolean } = { allowNetwork: false },
  /** The operator's VIBN_UNBOUNDED: run without cgroup bounds where they cannot be applied. */
  unbounded = false,
): SandboxSetting {
  if (unsandboxed) return 'unsandboxed';
  // Worktrees live at <project root>/{tasks,requests,terminals}/<id>; the cache sits beside them, and the
  // project root's name (the project's id) keys the project's cgroup.
  const projectRoot = path.dirname(path.dirname(workdir));
  return { homeDir: path.join(projectRoot, 'cache', 'home'), allowNetwork: project.allowNetwork, project: path.basename(projectRoot), unbounded };
}
