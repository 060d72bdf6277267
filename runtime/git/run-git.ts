/**
 * The one way VIBN runs `git`. Every call gets a fixed identity, no prompts, no user or system config (so a
 * developer's `commit.gpgSign` or credential prompt can never hang a worker), no hooks, and a minimal
 * environment, so no secret from VIBN's own environment reaches git or, through its errors, our logs.
 */
import os from 'node:os';
import { execa } from 'execa';
import type { GitAuth } from './credentials.js';

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
  // An empty helper resets the list: a helper named in the working copy's config would be handed the
  // project's token (and `store` would write it to disk) after every successful authentication.
  'credential.helper=',
];

/** Replaces credentials embedded in URLs (`https://user:token@host`) so they never reach an error or a log. */
export function redactUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1***@');
}

/** Replaces every occurrence of each secret (a project's token), then credentials embedded in URLs. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return redactUrls(out);
}

// What git says, with LC_ALL=C, when the server refused who we are or we could not tell it: a missing or
// wrong token, a deploy key the server does not know, a host key that does not match.
const AUTH_FAILURE =
  /Authentication failed for|could not read (Username|Password) for|The requested URL returned error: 40[13]|Permission denied \(publickey|Host key verification failed/;

/**
 * Thrown when a git command exits with a code its caller did not expect (network failure, bad ref, a
 * repository that is not one). The message carries git's stderr with credentials removed. Retryable by
 * default because most such failures are transient; callers that know better wrap it in a typed error.
 */
export class GitCommandError extends Error {
  override readonly name: string = 'GitCommandError';
  readonly retryable: boolean = true;

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

/**
 * Thrown when the git server refused VIBN's credentials, none were given where some are needed, or an SSH
 * server's host key did not match the one pinned. Not retryable: the same token or deploy key will be
 * refused again until someone changes it.
 */
export class GitAuthenticationError extends GitCommandError {
  override readonly name = 'GitAuthenticationError';
  override readonly retryable = false;

  constructor(args: readonly string[], exitCode: number | undefined, stderr: string, options?: { cause?: unknown }) {
    super(args, exitCode, stderr, options);
    this.message = `git could not authenticate with the project's repository; check its access token, or its deploy key and host key (${this.message})`;
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
  /** Credentials for a network command (from `withGitAuth`); their secrets are scrubbed from stderr and errors. */
  auth?: GitAuth;
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
 * `keepFinalNewline`; NULs from `-z` stay. Throws {@link GitAuthenticationError} when the server refused
 * the credentials.
 */
export async function runGit(cwd: string, args: readonly string[], options: RunGitOptions = {}): Promise<GitResult> {
  const author = options.author ?? VIBN_IDENTITY;
  // The credential helper comes after SAFE_CONFIG's reset of the helper list, so it is the only one.
  const config = [...SAFE_CONFIG, `user.name=${VIBN_IDENTITY.name}`, `user.email=${VIBN_IDENTITY.email}`, ...(options.auth?.config ?? [])];
  const result = await execa('git', [...config.flatMap((c) => ['-c', c]), ...args], {
    cwd,
    env: { ...gitEnv(author), ...options.auth?.env },
    extendEnv: false,
    input: options.input ?? '',
    reject: false,
    stripFinalNewline: !options.keepFinalNewline,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  const exitCode = result.exitCode;
  const secrets = options.auth?.secrets ?? [];
  const stderr = secrets.length > 0 ? redact(result.stderr, secrets) : result.stderr;
  if (exitCode === 0 || (exitCode !== undefined && options.allowExitCodes?.includes(exitCode))) {
    return { stdout: result.stdout, stderr, exitCode };
  }
  // execa's shortMessage repeats the command line, so it is scrubbed like everything else.
  const why = result.timedOut ? `timed out; ${stderr}` : exitCode === undefined ? (result.shortMessage ?? stderr) : stderr;
  const Failure = AUTH_FAILURE.test(result.stderr) ? GitAuthenticationError : GitCommandError;
  throw new Failure(
    args.map((arg) => redact(arg, secrets)),
    exitCode,
    redact(why, secrets),
  );
}

/** Splits NUL-separated git output (`-z`) into its entries. */
export function splitNul(output: string): string[] {
  return output.split('\0').filter((entry) => entry !== '');
}
