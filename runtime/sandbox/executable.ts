import fs from 'node:fs';
import path from 'node:path';

/** Whether `file` names an executable file, as a path or on PATH. */
export function findExecutable(file: string): boolean {
  const candidates = file.includes('/') ? [file] : (process.env.PATH ?? '/usr/bin:/bin').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, file));
  return candidates.some((candidate) => {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return fs.statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}
