/**
 * The bubblewrap command line that confines one agent command to its task's working copy. Pure: the caller
 * says where things are, this decides what the sandbox sees. Every flag below was tried on a worker (as root)
 * and the reason for each is written beside it; `runtime/sandbox/README.md` has the measurements.
 */
import path from 'node:path';

/** How a task's commands are sandboxed. Everything is optional: `{}` is the strictest sandbox. */
export type SandboxOptions = {
  /**
   * An existing host folder, outside the worktree, bound read-write as the command's HOME, for caches worth
   * keeping between calls (npm's, say). One per project: what a command leaves there, the next one reads.
   * When absent HOME is a fresh tmpfs that vanishes with the command.
   */
  homeDir?: string;
  /**
   * The project the command belongs to: its commands and terminals share the project's cgroup totals (memory,
   * processes, CPU weight). Defaults to one shared key.
   */
  project?: string;
  /** Run without cgroup bounds where they cannot be applied, instead of refusing (the operator's VIBN_UNBOUNDED). */
  unbounded?: boolean;
  /**
   * Reach the internet, for package installs: bwrap keeps the network namespace it is started in, which must
   * be the internet-only one `internetOnlyPrefix()` (network.ts) makes, never the host's. There the host's
   * loopback (Postgres, Temporal, the API), its own addresses and every private range are out of reach.
   */
  allowNetwork?: boolean;
  /** More host paths shown read-only at the same place, such as a toolchain installed outside /usr. */
  readOnlyPaths?: readonly string[];
  /**
   * Let commands write the working copy's `.git`. Off by default: the worker runs git on the working copy
   * outside any sandbox, and a command that can edit `.git/config` or `.git/hooks` chooses what that git runs.
   */
  writableGitDir?: boolean;
  /** Size cap of the /tmp tmpfs, and of HOME when HOME is a tmpfs. Tmpfs pages count as memory. */
  tmpBytes?: number;
  /** The bwrap executable. A path that does not exist stands for a machine without bubblewrap. */
  bwrapPath?: string;
};

/** HOME inside the sandbox. */
export const SANDBOX_HOME = '/home/sandbox';
/** Who commands run as inside the sandbox: nobody, with no capabilities. */
export const SANDBOX_UID = 65534;
export const defaultTmpBytes = 512 * 1024 * 1024;

/**
 * The pieces of /etc that compilers, package managers, git and TLS read. Never all of /etc: the user
 * namespace maps the sandbox's uid to the worker's own uid, so a root worker's sandbox would read
 * /etc/shadow, /etc/ssl/private and credentials in /etc/gitconfig or /etc/npmrc as their owner.
 */
export const etcPaths: readonly string[] = [
  '/etc/passwd', // getpwuid(): os.userInfo(), whoami, ssh
  '/etc/group',
  '/etc/nsswitch.conf',
  '/etc/hosts',
  '/etc/resolv.conf',
  '/etc/host.conf',
  '/etc/gai.conf',
  '/etc/services',
  '/etc/protocols',
  '/etc/ssl/certs', // TLS trust for npm, git and curl; /etc/ssl/private stays out
  '/etc/ssl/openssl.cnf',
  '/etc/ca-certificates',
  '/etc/alternatives', // /usr/bin/awk and friends are links through here
  '/etc/localtime',
  '/etc/timezone',
  '/etc/ld.so.cache', // without it the dynamic linker misses the multiarch library folders
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/os-release',
];

/** The top-level folders beside /usr that hold programs and libraries. */
export const toolchainRoots: readonly string[] = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

export type BubblewrapInput = {
  /** The task's working copy: the only host folder commands may write (besides `homeDir`). Absolute. */
  worktree: string;
  options: SandboxOptions;
  /**
   * Which of `toolchainRoots` are symlinks on this host, and to what (`/bin` → `usr/bin` on merged-/usr
   * systems). Those are recreated as links; the others are bound read-only when they exist.
   */
  hostLinks?: Readonly<Record<string, string>>;
  /**
   * True when the worktree's `.git` is a symlink, which an earlier command may have made. It is then not
   * bound: bwrap would follow it on the host, and inside the sandbox it can only point into the sandbox.
   */
  gitDirIsSymlink?: boolean;
};

/** bwrap's arguments up to, but not including, the command to run in the sandbox. */
export function bubblewrapArgs({ worktree, options, hostLinks = {}, gitDirIsSymlink = false }: BubblewrapInput): string[] {
  if (!path.isAbsolute(worktree) || path.resolve(worktree) === '/') {
    throw new Error(`the worktree must be an absolute path below /, got "${worktree}"`);
  }
  // A home inside the worktree could be swapped for a symlink by one command, and bound read-write by the next.
  if (options.homeDir !== undefined && !path.relative(worktree, options.homeDir).startsWith('..')) {
    throw new Error(`the sandbox's home folder must be outside the worktree, got "${options.homeDir}"`);
  }
  const tmpBytes = String(options.tmpBytes ?? defaultTmpBytes);
  const args = [
    // New user, mount, PID, IPC, UTS, cgroup and network namespaces. The PID namespace makes the command
    // blind to (and unable to signal) host processes, and the kernel kills all of it when its init dies.
    '--unshare-all',
    // With the network, the namespace bwrap starts in is kept: the caller starts it inside the internet-only
    // namespace (network.ts), whose routes the sandbox cannot change, having no capabilities there.
    ...(options.allowNetwork ? ['--share-net'] : []),
    // bwrap run as root keeps every capability inside, and `mount -o remount,rw` then writes through a
    // read-only bind to the host. As nobody with no capabilities and no way to make a new user namespace
    // (where it would get them back), mounts are refused.
    '--unshare-user',
    '--uid', String(SANDBOX_UID),
    '--gid', String(SANDBOX_UID),
    '--cap-drop', 'ALL',
    '--disable-userns',
    // No controlling terminal to push keystrokes into (TIOCSTI), and no life after the worker's bwrap dies:
    // killing bwrap is how a timeout or a stop ends everything the command started.
    '--new-session',
    '--die-with-parent',
    '--ro-bind', '/usr', '/usr',
  ];
  for (const root of toolchainRoots) {
    const link = hostLinks[root];
    args.push(...(link !== undefined ? ['--symlink', link, root] : ['--ro-bind-try', root, root]));
  }
  for (const file of [...etcPaths, ...(options.readOnlyPaths ?? [])]) args.push('--ro-bind-try', file, file);
  args.push(
    '--proc', '/proc',
    // The sandbox's uid is the worker's uid outside, and sysctls check the owner's bits against it: as root,
    // a command could write /proc/sys/kernel/core_pattern and run a program on the host. bwrap's own cover
    // of /proc/sys is skipped there (its writability test says no), so it is bound read-only here.
    '--ro-bind', '/proc/sys', '/proc/sys',
    '--ro-bind-try', '/proc/sysrq-trigger', '/proc/sysrq-trigger',
    '--dev', '/dev',
    '--size', tmpBytes, '--tmpfs', '/tmp',
  );
  if (options.homeDir !== undefined) args.push('--bind', options.homeDir, SANDBOX_HOME);
  else args.push('--size', tmpBytes, '--tmpfs', SANDBOX_HOME);
  // At its host path, so paths in compiler errors and test output match what the file tools use.
  args.push('--bind', worktree, worktree);
  if (!options.writableGitDir && !gitDirIsSymlink) args.push('--ro-bind-try', `${worktree}/.git`, `${worktree}/.git`);
  args.push(
    // The root is a tmpfs bwrap built: read-only, so writes land only in the worktree, HOME and /tmp.
    '--remount-ro', '/',
    '--chdir', worktree,
    '--setenv', 'HOME', SANDBOX_HOME,
    '--setenv', 'TMPDIR', '/tmp',
  );
  return args;
}
