/**
 * The API's admin token for `npm start`: the configured VIBN_ADMIN_TOKEN, else the one kept in
 * `VIBN_HOME/admin-token` (mode 600), else a new random one written there on first run.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export type AdminToken = {
  token: string;
  /** Where it came from; `generated` means this run created it and should show it once. */
  source: 'config' | 'file' | 'generated';
  /** The file that keeps it, unless it came from the configuration. */
  file?: string;
};

/** A fresh admin token: 32 random bytes, URL-safe. */
export const newAdminToken = () => `vibn_admin_${randomBytes(32).toString('base64url')}`;

/** Resolves the admin token for a state folder, creating the file (readable by its owner only) when absent. */
export async function ensureAdminToken(home: string, configured: string | undefined): Promise<AdminToken> {
  if (configured) return { token: configured, source: 'config' };
  const file = path.join(home, 'admin-token');
  const existing = await fs.readFile(file, 'utf8').then((t) => t.trim(), (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing) {
    // Someone may have loosened it by hand; the token is as good as a password.
    await fs.chmod(file, 0o600);
    return { token: existing, source: 'file', file };
  }
  const token = newAdminToken();
  await fs.mkdir(home, { recursive: true });
  // 'wx': two starts racing on one folder keep the first token rather than overwriting it.
  try {
    await fs.writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return ensureAdminToken(home, undefined);
    throw err;
  }
  return { token, source: 'generated', file };
}
