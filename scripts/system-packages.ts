/**
 * The Debian packages the product and its tests run beside Node: found with cheap file checks, and installed
 * with apt-get when missing and this process may (root, or passwordless sudo). Where it may not, it stops at
 * once with the command to run, so `npm start` and `npm test` are the only commands a fresh machine needs.
 */
import { execa } from 'execa';
import { findOnPath, isExecutableFile } from '../lib/executables.js';

/** The setting that skips this step entirely: for machines whose packages are managed some other way. */
export const SKIP_SYSTEM_PACKAGES_SETTING = 'VIBN_SKIP_SYSTEM_PACKAGES';

/** One Debian package we need: how to tell it is there without running anything, and why we need it. */
export type Need = {
  /** The Debian package name, as given to apt-get. */
  pkg: string;
  /** True when the package is already usable here; must be cheap (a file check, no subprocess). */
  present: () => boolean;
  /** Why we need it, in plain words, for the line printed while it installs. */
  why: string;
};

export type EnsureOptions = {
  /** The environment whose PATH finds apt-get and sudo, and which may skip the step; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The user id deciding root or sudo; default this process's. */
  uid?: number;
  /** Wall time for apt-get update and install together; default 15 minutes (chromium is large). */
  timeoutMs?: number;
};

/**
 * Thrown when needed packages are missing and stay missing: this process may not install them, apt-get
 * failed, or they were still absent after it ran. Not retryable: the machine has to change first.
 */
export class SystemPackagesError extends Error {
  override readonly name = 'SystemPackagesError';
  readonly retryable = false;

  constructor(
    message: string,
    /** The Debian packages still missing. */
    readonly missing: readonly string[],
    /** The command a person can run to install them. */
    readonly command: string,
  ) {
    super(message);
  }
}

const bubblewrap: Need = {
  pkg: 'bubblewrap',
  present: () => findOnPath('bwrap') !== undefined,
  why: 'every agent command runs in its sandbox',
};

const acl: Need = {
  pkg: 'acl',
  present: () => findOnPath('setfacl') !== undefined,
  why: "each project's disk lets the sandbox user write through a default ACL",
};

const slirp4netns: Need = {
  pkg: 'slirp4netns',
  present: () => findOnPath('slirp4netns') !== undefined,
  why: 'commands of projects allowed the network reach the internet through it, never the host',
};

const iproute2: Need = {
  pkg: 'iproute2',
  present: () => findOnPath('ip') !== undefined,
  why: "it sets the routes that keep those commands off the host's own addresses",
};

/** What `npm start` needs. */
export const PRODUCT_PACKAGES: readonly Need[] = [bubblewrap, acl, slirp4netns, iproute2];

/** What `npm test` needs: the product's packages, the browser the console's tests drive, and sshd for git over SSH. */
export const TEST_PACKAGES: readonly Need[] = [
  ...PRODUCT_PACKAGES,
  { pkg: 'chromium', present: () => isExecutableFile('/usr/bin/chromium'), why: "the console's tests drive this browser (none is downloaded)" },
  { pkg: 'openssh-server', present: () => isExecutableFile('/usr/sbin/sshd'), why: 'the git-over-SSH tests serve their remotes with sshd' },
];

/** The lines of a failed command's output kept in the error: enough to see apt's reason. */
const OUTPUT_TAIL_LINES = 40;
const PROGRESS_EVERY_MS = 30_000;

/**
 * Makes sure every need is present. Silent, and runs nothing, when they all are. Otherwise installs the
 * missing ones with apt-get (as root, or through `sudo -n`), printing one line per package through `out`,
 * and checks they are present afterwards; throws {@link SystemPackagesError} naming the packages and the
 * command to run when that cannot be done.
 */
export async function ensureSystemPackages(needs: readonly Need[], out: (line: string) => void, options: EnsureOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const missing = needs.filter((need) => !need.present());
  if (missing.length === 0) return;

  const root = (options.uid ?? process.getuid?.()) === 0;
  const pkgs = missing.map((need) => need.pkg);
  const stillMissing = (list: readonly Need[], message: string) => {
    const names = list.map((need) => need.pkg);
    const command = `${root ? '' : 'sudo '}apt-get install -y ${names.join(' ')}`;
    const lines = list.map((need) => `  ${need.pkg}: ${need.why}`);
    return new SystemPackagesError(`${message}\n${lines.join('\n')}\nInstall ${list.length === 1 ? 'it' : 'them'} with: ${command}`, names, command);
  };

  if (env[SKIP_SYSTEM_PACKAGES_SETTING] === '1') {
    out(`${SKIP_SYSTEM_PACKAGES_SETTING}=1: not installing ${pkgs.join(', ')}; what needs ${pkgs.length === 1 ? 'it' : 'them'} will fail`);
    return;
  }
  if (!findOnPath('apt-get', env)) {
    throw stillMissing(missing, 'Missing Debian packages, and there is no apt-get here to install them:');
  }
  const noSudo = root ? undefined : await whyNoPasswordlessSudo(env);
  if (noSudo) throw stillMissing(missing, `Missing Debian packages, and installing them needs root or passwordless sudo (${noSudo}):`);
  const how = root ? 'root' : 'sudo';

  for (const need of missing) out(`installing the Debian package ${need.pkg} with apt-get: ${need.why}`);
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? 15 * 60_000);
  const progress = setInterval(() => out(`still installing ${pkgs.join(', ')} (${Math.round((Date.now() - started) / 1000)} s)`), PROGRESS_EVERY_MS);
  progress.unref();
  try {
    await aptGet(['update', '-qq'], how, env, deadline);
    await aptGet(['install', '-y', '-qq', '--no-install-recommends', ...pkgs], how, env, deadline);
  } catch (err) {
    throw stillMissing(missing, `Installing Debian packages failed: ${(err as Error).message}\nStill missing:`);
  } finally {
    clearInterval(progress);
  }

  const notThere = missing.filter((need) => !need.present());
  if (notThere.length) throw stillMissing(notThere, 'apt-get succeeded, but these packages are still not usable:');
  out(`installed ${pkgs.join(', ')} in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Why sudo cannot run apt-get without a password here, or undefined when `sudo -n true` succeeds. */
async function whyNoPasswordlessSudo(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (!findOnPath('sudo', env)) return 'there is no sudo here';
  const result = await execa('sudo', ['-n', 'true'], { env, extendEnv: false, reject: false, stdin: 'ignore', timeout: 10_000 });
  return result.exitCode === 0 ? undefined : '`sudo -n true` failed';
}

/**
 * Runs one apt-get command non-interactively, as root or through sudo (which passes DEBIAN_FRONTEND on its
 * command line: sudo resets the environment). Output is kept and shown only when the command fails.
 */
async function aptGet(args: string[], how: 'root' | 'sudo', env: NodeJS.ProcessEnv, deadline: number): Promise<void> {
  const timeout = Math.max(deadline - Date.now(), 1);
  const [file, argv] =
    how === 'root' ? ['apt-get', args] : ['sudo', ['-n', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args]];
  const result = await execa(file, argv, {
    env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    all: true,
    timeout,
  });
  if (result.exitCode === 0 && !result.failed) return;
  const shown = `${how === 'sudo' ? 'sudo ' : ''}apt-get ${args.join(' ')}`;
  const why = result.timedOut ? `timed out after ${Math.round(timeout / 1000)} s` : result.exitCode !== undefined ? `exited with ${result.exitCode}` : result.shortMessage;
  const tail = (result.all ?? '').trimEnd().split('\n').slice(-OUTPUT_TAIL_LINES).join('\n');
  throw new Error(`${shown} ${why}${tail ? `:\n${tail}` : ''}`);
}
