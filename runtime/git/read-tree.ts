/**
 * Reading what a commit holds without touching any working tree: used to answer "what is on the remote's
 * default branch", in a clone (`origin/main`) or directly in a bare repository (`main`).
 */
import { resolveCommit } from './refs.js';
import { runGit, splitNul } from './run-git.js';

/** Every file path in the tree `ref` names, recursively, sorted as git sorts them. */
export async function listFilesAtRef(repoDir: string, ref: string): Promise<string[]> {
  const { stdout } = await runGit(repoDir, ['ls-tree', '-r', '-z', '--name-only', `${ref}^{commit}`]);
  return splitNul(stdout);
}

/** Every file of the tree `ref` names with its size in bytes (symlinks and submodules left out). */
export async function listBlobsAtRef(repoDir: string, ref: string): Promise<Array<{ path: string; size: number }>> {
  const { stdout } = await runGit(repoDir, ['ls-tree', '-r', '-z', '-l', `${ref}^{commit}`]);
  // Each entry: "<mode> <type> <oid> <size padded>\t<path>".
  return splitNul(stdout).flatMap((entry) => {
    const tab = entry.indexOf('\t');
    const [mode, type, , size] = entry.slice(0, tab).trim().split(/\s+/);
    return type === 'blob' && mode !== '120000' ? [{ path: entry.slice(tab + 1), size: Number(size) }] : [];
  });
}

/**
 * The text of `filePath` as committed at `ref`, or undefined when that commit has no such file.
 * A missing `ref` is an error, not an absent file: the caller asked about something that does not exist.
 */
export async function readFileAtRef(repoDir: string, ref: string, filePath: string): Promise<string | undefined> {
  const commit = await resolveCommit(repoDir, ref);
  if (!commit) throw new Error(`${ref} names no commit in ${repoDir}`);
  const { stdout: entry } = await runGit(repoDir, ['ls-tree', '-z', '--full-tree', commit, '--', filePath.replace(/^\.?\//, '')]);
  const [mode, type, oid] = entry.split('\t')[0]?.split(' ') ?? [];
  // A folder is not a file, and a symlink's blob holds its target path rather than content.
  if (type !== 'blob' || !oid || mode === '120000') return undefined;
  const { stdout } = await runGit(repoDir, ['cat-file', 'blob', oid], { keepFinalNewline: true });
  return stdout;
}

/** The text of `filePath` at HEAD of `repoDir`, or undefined when HEAD has no such file. */
export async function readFileAtHead(repoDir: string, filePath: string): Promise<string | undefined> {
  return readFileAtRef(repoDir, 'HEAD', filePath);
}
