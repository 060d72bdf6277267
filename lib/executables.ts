/** Finding programs the way a shell would, without running them. */
import fs from 'node:fs';
import path from 'node:path';

/** Whether `file` is a regular file this process may execute. */
export function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** An executable file of that name in one of PATH's folders, or undefined. */
export function findOnPath(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Whether `file` names an executable file: as a path when it holds a slash, else on PATH. */
export function findExecutable(file: string): boolean {
  return file.includes('/') ? isExecutableFile(file) : findOnPath(file, { PATH: process.env.PATH ?? '/usr/bin:/bin' }) !== undefined;
}
