/**
 * Test fixtures: real repositories in temporary folders, a bare one standing in for the project's remote.
 * Each helper registers what it makes with the caller's cleanup list.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runGit } from './run-git.js';
import { removeStateFolder } from '../workspace/project-disk.js';

/** Collects temporary folders and removes them all at the end of a test. */
export class TempDirs {
  private readonly dirs: string[] = [];

  async make(label = 'git'): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), `vibn-${label}-`));
    this.dirs.push(dir);
    return dir;
  }

  async removeAll(): Promise<void> {
    await Promise.all(this.dirs.splice(0).map((d) => removeStateFolder(d)));
  }
}

/** Writes `files` (path relative to `dir` -> content), creating folders as needed. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), content);
  }
}

/** A bare repository whose `main` holds one commit with `files`; returns its path, usable as a remote URL. */
export async function makeRemote(temp: TempDirs, files: Record<string, string> = { 'README.md': 'hello\n' }): Promise<string> {
  const root = await temp.make('remote');
  const bare = path.join(root, 'project.git');
  await runGit(root, ['init', '--bare', '--initial-branch=main', bare]);
  const seed = path.join(root, 'seed');
  await runGit(root, ['init', '--initial-branch=main', seed]);
  await writeFiles(seed, files);
  await runGit(seed, ['add', '--all']);
  await runGit(seed, ['commit', '--quiet', '-m', 'Initial commit']);
  await runGit(seed, ['push', '--quiet', bare, 'main:main']);
  return bare;
}

/** Another person's clone: commits `files` on top of `branch` and pushes, as a concurrent change would. */
export async function pushFromElsewhere(temp: TempDirs, remote: string, files: Record<string, string>, branch = 'main'): Promise<string> {
  const other = path.join(await temp.make('other'), 'clone');
  await runGit(path.dirname(other), ['clone', '--quiet', '--branch', branch, remote, other]);
  await writeFiles(other, files);
  await runGit(other, ['add', '--all']);
  await runGit(other, ['commit', '--quiet', '-m', 'A change from someone else'], { author: { name: 'Other', email: 'other@example.com' } });
  await runGit(other, ['push', '--quiet', 'origin', `HEAD:${branch}`]);
  return (await runGit(other, ['rev-parse', 'HEAD'])).stdout.trim();
}

/** Number of commits reachable from `ref` in `repoDir`. */
export async function commitCount(repoDir: string, ref = 'HEAD'): Promise<number> {
  return Number((await runGit(repoDir, ['rev-list', '--count', ref])).stdout.trim());
}
