/**
 * Each project's workspace (its clone, worktrees, caches and the sandbox's home) is a filesystem of its own:
 * a sparse ext4 image under `<home>/disks`, loop-mounted at the workspace's folder with `nosuid,nodev`.
 * That is the project's disk bound, enforced by the kernel as the bytes are written (a full disk says
 * "No space left on device" to the command that filled it, and to no other project), and a setuid or device
 * file a sandbox makes means nothing on the host. The sandbox user gets write access through a default ACL
 * on the mount's root, inherited by everything VIBN (as root) or a sandbox writes below it.
 *
 * Mounting needs root. Where VIBN is not root, or the kernel refuses, commands are refused unless the
 * operator opted out of bounds (VIBN_UNBOUNDED=1), in which case the workspace is a plain folder.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { UNBOUNDED_SETTING } from '../sandbox/bounds-unavailable.js';
import { sandboxUser } from '../sandbox/sandbox-user.js';
import { reachableDir } from './layout.js';
import { systemEnv } from '../system-path.js';
import { CommandsRefusedError } from '../sandbox/commands-refused.js';

/** How big a project's disk is, or `'unbounded'` where the operator opted out of bounds. */
export type DiskSetting = { bytes: number } | 'unbounded';

export const DEFAULT_DISK_BYTES = 10 * 1024 ** 3;

/** A process's disk setting from its config: the operator's size, or none where they opted out of bounds. */
export const projectDisk = (config: { unbounded: boolean; projectDiskBytes: number }): DiskSetting =>
  config.unbounded ? 'unbounded' : { bytes: config.projectDiskBytes };

/** Thrown when a project's disk cannot be made or mounted. Not retryable: the machine has to change. */
export class DiskUnavailableError extends CommandsRefusedError {
  override readonly name = 'DiskUnavailableError';

  constructor(reason: string) {
    super(
      reason,
      `Commands are not run: this machine cannot give the project a disk of its own (${reason}). ` +
        `Run VIBN as root on a machine with loop devices, or set ${UNBOUNDED_SETTING}=1 to run without disk, memory and process bounds.`,
    );
  }
}

export const diskImage = (home: string, projectId: string) => path.join(home, 'disks', `${projectId}.ext4`);

// One script under flock, so the API (a terminal) and a worker opening the same project never mount it
// twice. A folder that already holds files from before disks existed is moved into the new disk. A disk
// grows when it is next mounted (the next start): online resizing is refused on some kernels.
const MOUNT_SCRIPT = String.raw`set -eu
img=$1; dir=$2; bytes=$3; owner=$4; legacy=$5
if mountpoint -q -- "$dir"; then exit 0; fi
if [ -e "$img" ] && [ "$(stat -c %s -- "$img")" -lt "$bytes" ]; then
  truncate -s "$bytes" -- "$img"
  e2fsck -f -p "$img" >/dev/null
  resize2fs "$img" >/dev/null 2>&1
fi
if [ ! -e "$img" ]; then
  truncate -s "$bytes" -- "$img.new"; chmod 0600 -- "$img.new"
  # A small journal on big disks: the image stays sparse (mkfs would write a 64 MiB one up front).
  journal=; if [ "$bytes" -ge 268435456 ]; then journal="-J size=8"; fi
  mkfs.ext4 -q -F -m 0 $journal -E lazy_itable_init=1,lazy_journal_init=1,nodiscard "$img.new"
  mv -- "$img.new" "$img"
fi
mkdir -p -- "$dir"
before=
if [ -n "$(ls -A -- "$dir")" ]; then
  before="$dir.before-disk"; rm -rf -- "$before"; mv -- "$dir" "$before"; mkdir -- "$dir"
elif [ "$legacy" != "$dir" ] && [ -d "$legacy" ]; then
  before=$legacy
fi
mount -o loop,nosuid,nodev -- "$img" "$dir"
chmod 0755 -- "$dir"
if [ -n "$before" ]; then cp -a -- "$before/." "$dir/"; fi
if [ -n "$owner" ]; then
  setfacl -R -m "u:$owner:rwX" -- "$dir"
  find "$dir" -type d -exec setfacl -m "d:u:$owner:rwx,d:m::rwx" -- {} +
fi
if [ -n "$before" ]; then rm -rf -- "$before"; fi
`;

/**
 * Makes sure the project's workspace folder is its mounted disk (made on first use, grown at its next mount
 * when the setting grew). Idempotent and safe to call from several processes at once. Throws DiskUnavailableError where a
 * bounded disk cannot be had.
 */
export async function ensureProjectDisk(
  home: string,
  workspaceRoot: string,
  projectId: string,
  disk: DiskSetting,
  /** Where this workspace was before disks existed, when that differs: its files are moved in. */
  legacyRoot: string = workspaceRoot,
): Promise<void> {
  if (disk === 'unbounded') {
    await fs.mkdir(workspaceRoot, { recursive: true });
    return;
  }
  if (process.getuid?.() !== 0) throw new DiskUnavailableError('VIBN does not run as root, and mounting needs root');
  const image = diskImage(home, projectId);
  await fs.mkdir(path.dirname(image), { recursive: true, mode: 0o700 });
  const lock = `${image}.lock`;
  const owner = sandboxUser()?.uid;
  const result = await execa('flock', ['--timeout', '120', lock, 'sh', '-c', MOUNT_SCRIPT, 'vibn-disk', image, workspaceRoot, String(disk.bytes), owner === undefined ? '' : String(owner), legacyRoot], {
    reject: false,
    timeout: 300_000,
    stdin: 'ignore',
    env: systemEnv(),
  });
  // stderr says why; execa's own message would repeat the whole script.
  if (result.exitCode !== 0) throw new DiskUnavailableError(result.stderr.trim() || (result.timedOut ? 'timed out' : `the mount script exited with ${result.exitCode}`));
}

/** The mount points at or below `dir`, deepest first, read from the kernel's table. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const table = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const root = path.resolve(dir);
  const points = table
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    .map((point) => point.replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))))
    .filter((point) => point === root || point.startsWith(`${root}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/**
 * Unmounts every project disk at or below `dir` (lazily: a shell still inside keeps its files until it
 * exits, and the folder can be removed at once). For a deleted project and for tests' clean-up.
 */
export async function unmountUnder(dir: string): Promise<void> {
  for (const point of await mountsUnder(dir)) await execa('umount', ['-l', point], { reject: false, env: systemEnv() });
}

/** Unmounts a deleted project's disk and removes its image. */
export async function removeProjectDisk(home: string, workspaceRoot: string, projectId: string): Promise<void> {
  await unmountUnder(workspaceRoot);
  await fs.rm(workspaceRoot, { recursive: true, force: true });
  const image = diskImage(home, projectId);
  await fs.rm(image, { force: true });
  await fs.rm(`${image}.lock`, { force: true });
}

/** Whether `dir` lies on a filesystem mounted nosuid: a project disk, for the sandbox's fail-closed check. */
export async function onNosuidMount(dir: string): Promise<boolean> {
  const table = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const target = path.resolve(dir);
  let best: { point: string; options: string } | undefined;
  for (const line of table.split('\n')) {
    const fields = line.split(' ');
    const point = fields[4];
    const options = fields[5];
    if (point === undefined || options === undefined) continue;
    if ((target === point || target.startsWith(point === '/' ? '/' : `${point}/`)) && (!best || point.length >= best.point.length)) best = { point, options };
  }
  return best?.options.split(',').includes('nosuid') ?? false;
}

/**
 * Removes a whole state folder, with its workspaces and sites where those live outside it (under
 * /var/lib/vibn), unmounting the project disks first (tests, benchmarks).
 */
export async function removeStateFolder(dir: string): Promise<void> {
  const outside = [reachableDir(dir, 'workspaces'), reachableDir(dir, 'sites')].filter((other) => !other.startsWith(`${path.resolve(dir)}/`));
  for (const folder of [dir, ...outside]) {
    await unmountUnder(folder);
    await fs.rm(folder, { recursive: true, force: true });
  }
}
