/**
 * The embedded Postgres's superuser password: random, made at first start and kept beside the data folder in
 * a file only VIBN's own user can read. Postgres listens on loopback only, but loopback is shared with every
 * process on the machine, so a fixed password would let any of them in as superuser.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** What the embedded Postgres's superuser used before the password was random; only ever tried to migrate. */
export const LEGACY_PASSWORD = 'vibn-local';

const PASSWORD_FORMAT = /^[0-9a-f]{64}$/;

/** The password file of the cluster in `dataDir`: beside it, not inside it (the data folder is Postgres's). */
export function passwordFileFor(dataDir: string): string {
  return `${path.resolve(dataDir)}.password`;
}

/** 256 random bits as hex: nothing to escape in a URL or in SQL. */
export function newPassword(): string {
  return randomBytes(32).toString('hex');
}

/** Thrown when the password file exists but holds something else than a password VIBN wrote. */
export class PasswordFileError extends Error {
  override readonly name = 'PasswordFileError';
  readonly retryable = false;
}

/** The stored password, or undefined when there is no file yet. A file others could read is made private. */
export async function readPassword(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const password = text.trim();
  if (!PASSWORD_FORMAT.test(password)) {
    throw new PasswordFileError(`${file} does not hold a database password VIBN wrote; restore it, or delete it together with the data folder beside it for a fresh database`);
  }
  if (((await fs.stat(file)).mode & 0o077) !== 0) await fs.chmod(file, 0o600);
  return password;
}

/**
 * Writes the password file whole or not at all: a temporary file (mode 600 from its creation, so the password
 * is never readable by others, not even for a moment) synced, then renamed over the name, then the folder synced.
 */
export async function writePasswordFile(file: string, password: string): Promise<void> {
  const temporary = `${file}.tmp`;
  // A leftover from a crash may have any mode; the mode below applies only to a file being created.
  await fs.rm(temporary, { force: true });
  const handle = await fs.open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(`${password}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temporary, file);
  const folder = await fs.open(path.dirname(file), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
