/**
 * Gets the terminal's worktree ready: the project's clone made when missing (with the project's git
 * credentials, by the same function the workspace activity uses), then `terminals/main` cut from it. Both
 * happen under the project's workspace lock, the one the workspace activities take, so a terminal opening
 * never races a request's git steps on the shared clone.
 */
import type { Db } from '../../db/client.js';
import { gitCredentials } from '../../db/queries/project-secrets.js';
import { withWorkspaceLock } from '../../db/queries/workspace-lock.js';
import { prepareWorkingCopy } from '../../runtime/git/index.js';
import { ensureTerminalWorktree, hasTerminalWorktree, terminalDir } from '../../runtime/terminal/terminal-worktree.js';
import { workspaceLayout } from '../../runtime/workspace/layout.js';
import type { DiskSetting } from '../../runtime/workspace/project-disk.js';
import { openWorkspace, touchWorkspace } from '../../runtime/workspace/sweep.js';

type Project = { id: string; repoUrl: string; defaultBranch: string };

/** The terminal's folder, made on first use; an existing one is used as the founder left it. */
export async function openTerminalWorkspace(deps: { db: Db; home: string; disk?: DiskSetting }, project: Project): Promise<{ dir: string; repo: string }> {
  const layout = workspaceLayout(deps.home, project.id);
  // Mounts the project's disk, and marks the workspace as in use so the idle sweep leaves it alone.
  await openWorkspace(deps.home, project.id, deps.disk);
  const dir = await withWorkspaceLock(deps.db, project.id, async () => {
    if (await hasTerminalWorktree(layout)) return terminalDir(layout);
    await prepareWorkingCopy({
      remoteUrl: project.repoUrl,
      branch: project.defaultBranch,
      dir: layout.repo,
      credentials: await gitCredentials(deps.db, project.id),
    });
    return ensureTerminalWorktree(layout, project.defaultBranch);
  });
  return { dir, repo: layout.repo };
}

/** Keeps the workspace marked as in use while a terminal stays open. */
export const keepWorkspaceInUse = (home: string, projectId: string) => touchWorkspace(home, projectId);
