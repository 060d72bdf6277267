import fs from 'node:fs/promises';
import path from 'node:path';
import { workspaceLayout } from '../runtime/workspace/layout.js';
import { listFilesAtRef, prepareWorkingCopy, readFileAtRef, type GitCredentials } from '../runtime/git/index.js';

const MAX_FILES = 300;
const README_CHARS = 3_000;

/** Where a project's read-only copy of its default branch lives, for context and the advisors' reading. */
export function referenceCopyDir(home: string, projectId: string) {
  return path.join(workspaceLayout(home, projectId).root, 'reference');
}

/**
 * A short picture of the repository for Assist's context: its files (capped) and the start of its README,
 * read from a working copy of the default branch that is refreshed on each call.
 */
export async function repositorySummary(opts: { home: string; projectId: string; remoteUrl: string; branch: string; credentials?: GitCredentials }) {
  const dir = referenceCopyDir(opts.home, opts.projectId);
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const { head } = await prepareWorkingCopy({ remoteUrl: opts.remoteUrl, branch: opts.branch, dir, fresh: true, credentials: opts.credentials });
  const files = await listFilesAtRef(dir, 'HEAD');
  const readme = await readFileAtRef(dir, 'HEAD', 'README.md');
  return {
    head,
    files: files.slice(0, MAX_FILES),
    moreFiles: Math.max(0, files.length - MAX_FILES),
    readme: readme?.slice(0, README_CHARS) ?? null,
  };
}
