import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Where workspaces go when the state folder sits somewhere the sandbox user cannot reach (root's home). */
export const SHARED_WORKSPACES = '/var/lib/vibn/workspaces';

const dirs = new Map<string, string>();

/**
 * The folder holding a state folder's project workspaces. Sandboxes run as an unprivileged user (when VIBN is
 * root), and bubblewrap opens a worktree as that user, so every folder above a worktree must let others
 * pass. `<home>/workspaces` where the folders above the state folder do (the state folder itself is made
 * passable, never listable); otherwise a folder of its own under /var/lib/vibn, named by the state folder.
 */
export function workspacesDir(home: string): string {
  let dir = dirs.get(home);
  if (dir === undefined) {
    dir = process.getuid?.() !== 0 || passableAbove(home) ? path.join(home, 'workspaces') : path.join(SHARED_WORKSPACES, createHash('sha256').update(path.resolve(home)).digest('hex').slice(0, 16));
    dirs.set(home, dir);
  }
  return dir;
}

/** Whether every folder above `dir` lets others through (o+x). */
function passableAbove(dir: string): boolean {
  for (let at = path.dirname(path.resolve(dir)); ; at = path.dirname(at)) {
    try {
      if ((fs.statSync(at).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (at === '/') return true;
  }
}

/**
 * Makes the folders from the state folder down to the workspaces folder passable by the sandbox user (mode
 * 0711: others may pass through, never list).
 */
export function makeWorkspacesPassable(home: string): void {
  if (process.getuid?.() !== 0) return;
  const dir = workspacesDir(home);
  fs.mkdirSync(dir, { recursive: true });
  const stops = dir.startsWith(`${path.resolve(home)}/`) ? [path.resolve(home), dir] : [dir];
  for (const folder of stops) {
    const mode = fs.statSync(folder).mode & 0o777;
    if ((mode & 0o011) !== 0o011) fs.chmodSync(folder, mode | 0o011);
  }
}

/**
 * Where a project's workspace lives: one persistent clone (`repo`), one worktree per request (its
 * integration branch), one per task (its own branch), and caches that outlive cold starts.
 */
export function workspaceLayout(home: string, projectId: string) {
  const root = path.join(workspacesDir(home), projectId);
  return {
    root,
    repo: path.join(root, 'repo'),
    cache: path.join(root, 'cache'),
    requestDir: (conversationId: string) => path.join(root, 'requests', conversationId),
    taskDir: (sessionId: string) => path.join(root, 'tasks', sessionId),
  };
}
export type WorkspaceLayout = ReturnType<typeof workspaceLayout>;

/** The request's integration branch and each task's branch (separate prefixes: git cannot nest a ref under a ref). */
export const requestBranch = (conversationId: string) => `vibn/request/${conversationId}`;
export const taskBranch = (conversationId: string, taskId: string) => `vibn/task/${conversationId}/${taskId}`;
