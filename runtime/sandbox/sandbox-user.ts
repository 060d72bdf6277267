/**
 * The unprivileged host user every sandbox runs as when VIBN itself runs as root. bubblewrap maps the
 * sandbox's uid to the uid that starts it: started by root, a file a command made (a setuid copy of bash,
 * say) would belong to host root. Started as this user, everything a command makes belongs to a user that
 * can do nothing on the host. The user is made on first use; where VIBN does not run as root there is
 * nothing to do, since the sandbox is then mapped to VIBN's own unprivileged user.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { execa } from 'execa';
import { systemEnv } from '../system-path.js';

export const SANDBOX_USER_NAME = 'vibn-sandbox';

export type SandboxUser = { name: string; uid: number; gid: number };

/** Thrown when VIBN runs as root and cannot find or make the sandbox user. Not retryable. */
export class SandboxUserError extends Error {
  override readonly name = 'SandboxUserError';
  readonly retryable = false;
}

let cached: SandboxUser | null | undefined;

/** The sandbox user, made when missing; undefined when VIBN does not run as root. */
export function sandboxUser(): SandboxUser | undefined {
  if (cached === undefined) cached = process.getuid?.() === 0 ? findOrCreate() : null;
  return cached ?? undefined;
}

function findOrCreate(): SandboxUser {
  const found = lookUp();
  if (found) return found;
  // --system: a uid below the login range, no mail spool, no aging; no home and no login shell.
  const made = spawnSync(
    'useradd',
    ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--comment', 'VIBN sandboxes', SANDBOX_USER_NAME],
    { encoding: 'utf8', timeout: 30_000, env: systemEnv() },
  );
  // Another VIBN process may have made it meanwhile (useradd exits 9 then): look again either way.
  const user = lookUp();
  if (user) return user;
  throw new SandboxUserError(
    `VIBN runs as root and needs an unprivileged user "${SANDBOX_USER_NAME}" for its sandboxes, but could not make it: ${
      made.error?.message ?? made.stderr?.trim() ?? `useradd exited with ${made.status}`
    }. Make it once with: useradd --system --user-group --no-create-home --shell /usr/sbin/nologin ${SANDBOX_USER_NAME}`,
  );
}

function lookUp(): SandboxUser | undefined {
  const passwd = fs.readFileSync('/etc/passwd', 'utf8');
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === SANDBOX_USER_NAME && uid !== undefined && gid !== undefined) {
      const user = { name, uid: Number(uid), gid: Number(gid) };
      // A user of that name that is root in disguise would undo the point of it.
      if (user.uid === 0 || user.gid === 0) throw new SandboxUserError(`The host user "${SANDBOX_USER_NAME}" has uid or gid 0; it must be unprivileged.`);
      return user;
    }
  }
  return undefined;
}

/**
 * The argv prefix that runs the rest of an argv as the sandbox user, with no supplementary groups and no
 * capabilities to inherit; empty where VIBN is not root. setpriv is util-linux's, on every Debian machine.
 */
export function asSandboxUser(user: SandboxUser | undefined = sandboxUser()): string[] {
  if (!user) return [];
  return ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--inh-caps=-all', '--'];
}

/**
 * Lets the sandbox user read and write `dir` and everything below it, now and later (a default ACL on each
 * folder), as a project disk's root does. For folders made outside a project disk: tests, and the probe.
 */
export async function grantToSandboxUser(dir: string, user: SandboxUser | undefined = sandboxUser()): Promise<void> {
  if (!user) return;
  await execa('setfacl', ['-R', '-m', `u:${user.uid}:rwX`, '--', dir]);
  await execa('find', [dir, '-type', 'd', '-exec', 'setfacl', '-m', `d:u:${user.uid}:rwx,d:m::rwx`, '--', '{}', '+']);
}
