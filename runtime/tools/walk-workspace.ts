/**
 * Breadth-first walk of a workspace folder shared by `list_files` and `search`. Breadth first so that when a
 * cap cuts the walk short the model still sees the shape of the tree rather than one deep corner of it.
 */
import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { toRelative } from './workspace-path.js';

/** Folders never worth the model's attention: git's internals and installed dependencies. */
export const skippedFolders = new Set(['.git', 'node_modules']);

/** One entry met on the walk. Symbolic links are reported as `other` and never followed, so loops and links out of the workspace are harmless. */
export type WalkEntry = { absolute: string; relative: string; kind: 'dir' | 'file' | 'other' };

/**
 * Yields the entries under `start` (not `start` itself), sorted by name within each folder. Unreadable folders
 * are skipped rather than failing the whole walk.
 */
export async function* walkWorkspace(realRoot: string, start: string, options: { recursive: boolean }): AsyncGenerator<WalkEntry> {
  const queue = [start];
  for (let folder = queue.shift(); folder !== undefined; folder = queue.shift()) {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(folder, { withFileTypes: true });
    } catch {
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (skippedFolders.has(entry.name)) continue;
      const absolute = path.join(folder, entry.name);
      const kind = entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : 'other';
      yield { absolute, relative: toRelative(realRoot, absolute), kind };
      if (kind === 'dir' && options.recursive) queue.push(absolute);
    }
  }
}
