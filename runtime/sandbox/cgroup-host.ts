/**
 * Where this process's cgroups are, on cgroup v2 (the unified tree at /sys/fs/cgroup, or at
 * /sys/fs/cgroup/unified on a hybrid host when the controllers are there) or v1 (one mount per controller),
 * and making a v2 cgroup hand its controllers to children. Read from /proc/self/cgroup and
 * /proc/self/mountinfo, so a container's mounts and cgroup namespace are taken as they are.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { CONTROLLERS, type Controller } from './cgroup-dialects.js';

/** This process's own cgroup folder per controller; on v2 the three are the same folder. */
export type CgroupHost = { version: 1 | 2; own: Record<Controller, string> };

export type HostLookup = { host: CgroupHost } | { missing: string };

/**
 * Where a v2 cgroup's own processes are moved so its controllers can be enabled for children (the kernel
 * refuses that while the cgroup itself holds processes). A process found here counts its parent as its own,
 * so every VIBN process started in one cgroup uses the same `vibn` folder.
 */
export const SERVER_LEAF = 'vibn-server';

export type CgroupMount = { type: 'cgroup' | 'cgroup2'; mountPoint: string; root: string; controllers: string[] };

/** /proc/self/cgroup as controller → path; the v2 line (`0::/…`) under the key ''. */
export function parseOwnCgroups(text: string): Map<string, string> {
  const own = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, controllers = '', where = ''] = match;
    for (const controller of controllers.split(',')) own.set(controller, where);
  }
  return own;
}

/** The cgroup and cgroup2 mounts of /proc/self/mountinfo. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    const fields = before.split(' ');
    const [type, , superOptions = ''] = after.split(' ');
    if (type !== 'cgroup' && type !== 'cgroup2') continue;
    mounts.push({
      type,
      root: unescapeMountPath(fields[3] ?? '/'),
      mountPoint: unescapeMountPath(fields[4] ?? ''),
      controllers: type === 'cgroup' ? superOptions.split(',') : [],
    });
  }
  return mounts;
}

// mountinfo writes space, tab, newline and backslash in paths as octal escapes.
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** The folder of cgroup `own` (a path in the hierarchy) under `mount`, if the mount shows it. */
function folderOf(mount: CgroupMount, own: string): string | undefined {
  let inside: string;
  if (mount.root === '/') inside = own;
  else if (own === mount.root || own.startsWith(`${mount.root}/`)) inside = own.slice(mount.root.length);
  else return undefined;
  const folder = path.join(mount.mountPoint, inside);
  return folder.length > 1 && folder.endsWith('/') ? folder.slice(0, -1) : folder;
}

export type LocateInput = { procSelfCgroup: string; mountinfo: string };

/**
 * Finds this process's cgroups: v2 where its cgroup there offers memory, pids and cpu, else v1 where each of
 * them is mounted; otherwise says what is missing. v2 counts only where its cgroup.controllers says so: on a
 * hybrid host the unified mount exists but v1 holds the controllers.
 */
export async function locateCgroups({ procSelfCgroup, mountinfo }: LocateInput): Promise<HostLookup> {
  const own = parseOwnCgroups(procSelfCgroup);
  const mounts = parseCgroupMounts(mountinfo);
  const problems: string[] = [];

  const unifiedPath = own.get('');
  for (const mount of mounts.filter((m) => m.type === 'cgroup2')) {
    if (unifiedPath === undefined) break;
    const folder = folderOf(mount, unifiedPath);
    if (!folder) continue;
    const offered = (await fs.readFile(path.join(folder, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/);
    const lacking = CONTROLLERS.filter((c) => !offered.includes(c));
    if (lacking.length === 0) {
      const dir = path.basename(folder) === SERVER_LEAF ? path.dirname(folder) : folder;
      return { host: { version: 2, own: { memory: dir, pids: dir, cpu: dir } } };
    }
    problems.push(`cgroup v2 at ${mount.mountPoint} does not offer ${lacking.join(', ')} to ${unifiedPath}`);
  }

  const v1: Partial<Record<Controller, string>> = {};
  for (const controller of CONTROLLERS) {
    const ownPath = own.get(controller);
    const mount = mounts.find((m) => m.type === 'cgroup' && m.controllers.includes(controller));
    const folder = mount && ownPath !== undefined ? folderOf(mount, ownPath) : undefined;
    if (folder) v1[controller] = folder;
  }
  const v1Lacking = CONTROLLERS.filter((c) => v1[c] === undefined);
  if (v1Lacking.length === 0) return { host: { version: 1, own: v1 as Record<Controller, string> } };
  if (v1Lacking.length < CONTROLLERS.length) problems.push(`cgroup v1 has no ${v1Lacking.join(', ')} hierarchy mounted`);
  return { missing: problems.join('; ') || 'no cgroup v1 or v2 hierarchy is mounted' };
}

/** This process's cgroups, from /proc/self. */
export async function locateOwnCgroups(): Promise<HostLookup> {
  try {
    const [procSelfCgroup, mountinfo] = await Promise.all([
      fs.readFile('/proc/self/cgroup', 'utf8'),
      fs.readFile('/proc/self/mountinfo', 'utf8'),
    ]);
    return await locateCgroups({ procSelfCgroup, mountinfo });
  } catch (error) {
    return { missing: `cannot read /proc/self: ${(error as Error).message}` };
  }
}

/**
 * Enables memory, pids and cpu for the children of v2 cgroup `dir`. Where `dir` holds processes itself (the
 * server's own cgroup usually does), `moveProcesses` first moves every one of them into `dir/vibn-server`:
 * they stay inside `dir`, under all its limits, and `dir` is left with children only, as the kernel requires.
 * That is the documented way for a program given a cgroup of its own (systemd's Delegate=yes).
 */
export async function enableControllers(dir: string, { moveProcesses }: { moveProcesses: boolean }): Promise<void> {
  const control = path.join(dir, 'cgroup.subtree_control');
  for (let attempt = 0; ; attempt += 1) {
    const enabled = (await fs.readFile(control, 'utf8').catch(() => '')).split(/\s+/);
    const lacking = CONTROLLERS.filter((c) => !enabled.includes(c));
    if (lacking.length === 0) return;
    try {
      await fs.writeFile(control, lacking.map((c) => `+${c}`).join(' '));
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EBUSY' || !moveProcesses) throw Object.assign(new Error(`enabling ${lacking.join(', ')} in ${control} failed (${code})`), { code });
      // New processes may have been started in `dir` meanwhile: moved on the next round.
      if (attempt === 4) {
        throw new Error(
          `${dir} keeps processes of its own, and the kernel enables controllers only for a cgroup whose processes are all in its children: ` +
            `run VIBN in a cgroup of its own (systemd: Delegate=yes)`,
        );
      }
      await moveAllInto(dir, path.join(dir, SERVER_LEAF));
    }
  }
}

async function moveAllInto(dir: string, leaf: string): Promise<void> {
  await fs.mkdir(leaf, { recursive: true });
  const procs = await fs.readFile(path.join(dir, 'cgroup.procs'), 'utf8');
  for (const pid of procs.split('\n').filter(Boolean)) {
    await fs.writeFile(path.join(leaf, 'cgroup.procs'), pid).catch((error: NodeJS.ErrnoException) => {
      // A process that exited meanwhile is gone from `dir` too; anything else stops the move.
      if (error.code !== 'ESRCH') throw new Error(`moving process ${pid} into ${leaf} failed (${error.code})`);
    });
  }
}
