/** What an agent changed in a working copy, compared with its last commit. */
import { runGit } from './run-git.js';

/**
 * Parses `git status --porcelain=v1 -z`: entries are `XY path`, and a rename or copy (R or C in either
 * column) is followed by one more entry holding the original path. Both paths count as changed, because
 * the old one disappears. Paths come back as git wrote them, unquoted thanks to `-z`.
 */
export function parsePorcelainZ(output: string): string[] {
  const entries = output.split('\0');
  const paths = new Set<string>();
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (!entry || entry.length < 4) continue;
    const status = entry.slice(0, 2);
    paths.add(entry.slice(3));
    if (/[RC]/.test(status)) {
      const original = entries[++i];
      if (original) paths.add(original);
    }
  }
  return [...paths].sort();
}

/**
 * Every path that differs from HEAD in `dir`: staged, unstaged and untracked (each untracked file listed,
 * not its folder), sorted. Ignored files are not changes.
 */
export async function changedFiles(dir: string): Promise<string[]> {
  const { stdout } = await runGit(dir, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
  return parsePorcelainZ(stdout);
}
