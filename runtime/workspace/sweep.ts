import fs from 'node:fs/promises';
import path from 'node:path';
import { makeReachable, workspaceLayout, workspacesDir } from './layout.js';
import { DEFAULT_DISK_BYTES, ensureProjectDisk, type DiskSetting } from './project-disk.js';

const LAST_USED = '.last-used';

/**
 * Gets a project's workspace ready for use: its disk mounted (made on first use) and the folders above it
 * passable by the sandbox user, then marked as in use. Every path that writes a workspace starts here.
 */
export async function openWorkspace(home: string, projectId: string, disk: DiskSetting = { bytes: DEFAULT_DISK_BYTES }) {
  makeReachable(home, 'workspaces');
  const { root } = workspaceLayout(home, projectId);
  await ensureProjectDisk(home, root, projectId, disk, path.join(home, 'workspaces', projectId));
  await touchWorkspace(home, projectId);
}

/** Marks a project's workspace as in use now; the sweep measures idleness from this mark. */
export async function touchWorkspace(home: string, projectId: string) {
  const { root } = workspaceLayout(home, projectId);
  await fs.mkdir(root, { recursive: true });
  await fs.writeFile(path.join(root, LAST_USED), new Date().toISOString());
}

/**
 * The seed's cold tier: a project's workspace unused for `idleMs` is removed (its clone, worktrees and
 * reference copy) and re-created from the remote on the next request. Caches stay. Projects named in
 * `busy` (a request still running) are never touched. Returns the projects swept.
 */
export async function sweepIdleWorkspaces(home: string, idleMs: number, busy: ReadonlySet<string>, now = Date.now()): Promise<string[]> {
  const dir = workspacesDir(home);
  const projects = await fs.readdir(dir).catch(() => [] as string[]);
  const swept: string[] = [];
  for (const projectId of projects) {
    if (busy.has(projectId)) continue;
    const layout = workspaceLayout(home, projectId);
    const mark = await fs.stat(path.join(layout.root, LAST_USED)).catch(() => undefined);
    if (mark && now - mark.mtimeMs < idleMs) continue;
    const entries = await fs.readdir(layout.root).catch(() => [] as string[]);
    const removable = entries.filter((e) => e !== 'cache' && e !== LAST_USED);
    if (removable.length === 0) continue;
    for (const entry of removable) await fs.rm(path.join(layout.root, entry), { recursive: true, force: true });
    swept.push(projectId);
  }
  return swept;
}
