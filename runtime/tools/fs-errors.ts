/**
 * Node's file errors name absolute worker paths and errno codes; the model needs the workspace path and what
 * to do instead.
 */
import { ToolError } from './tool-error.js';

/** Rewrites a file-system error about `displayPath` as a `ToolError` the model can act on; others pass through. */
export function explainFsError(error: unknown, displayPath: string): unknown {
  if (error instanceof ToolError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const hint = code ? fsHints[code] : undefined;
  return hint ? new ToolError(`"${displayPath}" ${hint}`, { cause: error }) : error;
}

const fsHints: Record<string, string> = {
  ENOENT: 'does not exist; use list_files to see what is there',
  ENOTDIR: 'is not reachable: part of the path is a file, not a folder',
  EISDIR: 'is a folder, not a file; use list_files to see inside it',
  EACCES: 'is not readable or writable here (permission denied)',
  EPERM: 'cannot be changed here (operation not permitted)',
  ELOOP: 'is a symbolic link loop',
  ENAMETOOLONG: 'is too long a path',
};
