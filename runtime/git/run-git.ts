/**
 * The one way VIBN runs `git`. Every call gets a fixed identity, no prompts, no user or system config (so a
 * developer's `commit.gpgSign` or credential prompt can never hang a worker), no hooks, and a minimal
 * environment, so no secret from VIBN's own environment reaches git or, through its errors, our logs.
 */
import os from 'node:os';
import { execa } from 'execa';

/** Who a commit is attributed to. */
export type GitIdentity = { name: string; email: string };

/** The identity VIBN commits as unless a caller names someone else. */
export const VIBN_IDENTITY: GitIdentity = { name: 'VIBN', email: 'vibn@localhost' };

/** Network operations (clone, fetch, push) must not outlive the activity that started them by much. */
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

// The working copy is written by coding agents, so its .git/config is not trusted: these settings run
// commands of the repository's choosing, and we switch each off on the command line, which wins over it.
const SAFE_CONFIG = [
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  'init.defaultBranch=main',
  'advice.detachedHead=false',
];

/** Replaces credentials embedded in URLs (`https://user:token@host`) so they never reach an error or a log. */
export function redactUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1***@');
}

/**
 * Thrown when a git command exits with a code its caller did not expect (network failure, bad ref, a
 * repository that is not one). The message carries git's stderr with credentials removed. Retryable by
 * default because most such failures are transient; callers that know better wrap it in a typed error.
 */
export class GitCommandError extends Error {
  override readonly name = 'GitCommandError';
  readonly retryable = true;

  constructor(
    /** The git arguments, credentials removed. */
    readonly args: readonly string[],
    readonly exitCode: number | undefined,
    /** git's stderr, credentials removed. */
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`git ${args.join(' ')} failed (exit ${exitCode ?? 'none'}): ${stderr.trim() || 'no output'}`, options);
  }
}

export type RunGitOptions = {
  /** Text fed to git's stdin (a commit message with `-F -`). */
  input?: string;
  /** The author of any commit this command makes; the committer is always VIBN. */
  author?: GitIdentity;
  /** Exit codes that are answers rather than failures (1 for `diff --quiet`, `rev-parse --verify -q`). */
  allowExitCodes?: readonly number[];
  timeoutMs?: number;
  /** Keep the final newline of stdout, for file contents that must come back byte for byte. */
  keepFinalNewline?: boolean;
};

export type GitResult = { stdout: string; stderr: string; exitCode: number };

function gitEnv(author: GitIdentity): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? os.homedir(),
    // Stable, English messages: callers read exit codes and porcelain output, people read the errors.
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    // Nothing VIBN runs may wait on an editor; paths we pass are file names, never glob patterns.
    GIT_EDITOR: 'true',
    GIT_LITERAL_PATHSPECS: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    // ssh would otherwise ask for a passphrase or host key on the controlling terminal and wait forever.
    GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: VIBN_IDENTITY.name,
    GIT_COMMITTER_EMAIL: VIBN_IDENTITY.email,
  };
  // A socket path, not a secret: it lets a deploy key held by ssh-agent work.
  if (process.env.SSH_AUTH_SOCK) env.SSH_AUTH_SOCK = process.env.SSH_AUTH_SOCK;
  return env;
}

/**
 * Runs `git <args>` in `cwd` and returns its output; throws {@link GitCommandError} on an exit code not
 * in `allowExitCodes` (0 always allowed). Output has its final newline stripped unless
 * `keepFinalNewline`; NULs from `-z` stay.
 */
export async function runGit(cwd: string, args: readonly string[], options: RunGitOptions = {}): Promise<GitResult> {
  const author = options.author ?? VIBN_IDENTITY;
  const config = [...SAFE_CONFIG, `user.name=${VIBN_IDENTITY.name}`, `user.email=${VIBN_IDENTITY.email}`];
  const result = await execa('git', [...config.flatMap((c) => ['-c', c]), ...args], {
    cwd,
    env: gitEnv(author),
    extendEnv: false,
    input: options.input ?? '',
    reject: false,
    stripFinalNewline: !options.keepFinalNewline,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  const exitCode = result.exitCode;
  if (exitCode === 0 || (exitCode !== undefined && options.allowExitCodes?.includes(exitCode))) {
    return { stdout: result.stdout, stderr: result.stderr, exitCode };
  }
  const why = result.timedOut ? `timed out; ${result.stderr}` : exitCode === undefined ? (result.shortMessage ?? result.stderr) : result.stderr;
  throw new GitCommandError(args.map(redactUrls), exitCode, redactUrls(why));
}

/** Splits NUL-separated git output (`-z`) into its entries. */
export function splitNul(output: string): string[] {
  return output.split('\0').filter((entry) => entry !== '');
}
