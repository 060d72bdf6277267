import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Where the sandbox user's folders go when the state folder sits where that user cannot pass (root's home). */
export const SHARED_STATE = '/var/lib/vibn';

const dirs = new Map<string, string>();

/**
 * A folder of the state folder's that the sandbox user must reach: `workspaces` (bubblewrap opens worktrees as
 * that user) and `sites` (command deployers run as it). `<home>/<name>` where every folder above the state
 * folder lets others pass (the state folder itself is then made passable, never listable); otherwise
 * `/var/lib/vibn/<name>/<hash of the state folder>`.
 */
export function reachableDir(home: string, name: 'workspaces' | 'sites'): string {
  const key = `${home}\0${name}`;
  let dir = dirs.get(key);
  if (dir === undefined) {
    const own = process.getuid?.() !== 0 || passableAbove(home);
    dir = own ? path.join(home, name) : path.join(SHARED_STATE, name, createHash('sha256').update(path.resolve(home)).digest('hex').slice(0, 16));
    dirs.set(key, dir);
  }
  return dir;
}

/** The folder holding a state folder's project workspaces. */
export const workspacesDir = (home: string) => reachableDir(home, 'workspaces');

/** The folder command deployers may publish into (`VIBN_SITES`); the demo's site lives there. */
export const sitesDir = (home: string) => reachableDir(home, 'sites');

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
 * Makes the folders from the state folder down to `reachableDir(home, name)` passable by the sandbox user
 * (mode 0711: others may pass through, never list), making them when missing. Returns the folder.
 */
export function makeReachable(home: string, name: 'workspaces' | 'sites'): string {
  const dir = reachableDir(home, name);
  fs.mkdirSync(dir, { recursive: true });
  if (process.getuid?.() !== 0) return dir;
  const stops = dir.startsWith(`${path.resolve(home)}/`) ? [path.resolve(home), dir] : [dir];
  for (const folder of stops) {
    const mode = fs.statSync(folder).mode & 0o777;
    if ((mode & 0o011) !== 0o011) fs.chmodSync(folder, mode | 0o011);
  }
  return dir;
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
