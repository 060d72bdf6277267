/**
 * How VIBN proves to a project's git server that it may read and push: an access token over HTTP(S), or a
 * deploy key over SSH. A token reaches git only through environment variables, read by an inline credential
 * helper; a deploy key through a 0600 file in a private temporary folder deleted afterwards. Neither is ever
 * in a remote URL, `.git/config`, or the arguments of any process (which `ps` shows to every user of the
 * machine), and the token is scrubbed from everything git prints.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { insideHost, remoteLocation } from './remote-host.js';

/** A project's credentials for its git server. */
export type GitCredentials =
  /** An access token (Gitea, GitHub, GitLab), sent as the password of HTTP Basic auth. */
  | ({ kind: 'token'; token: string; /** Defaults to `x-access-token`; Gitea and GitHub accept any name with a token. */ username?: string } & Destination)
  /** A deploy key: an OpenSSH private key without a passphrase, and the server's host keys in known_hosts form. */
  | ({ kind: 'ssh_key'; privateKey: string; /** Without it the host key is not verified (first use is trusted). */ knownHosts?: string } & Destination)
  | { kind: 'none' };

type Destination = {
  /**
   * The project's repository URL was set with the admin token: the credentials may go wherever it points,
   * this machine or a private network included. Otherwise (a URL a project token set) they go only to a
   * host that resolves outside, checked each time they are used.
   */
  remoteSetByAdmin?: boolean;
};

/**
 * Thrown instead of sending credentials to a remote whose host is on this machine, a loopback, private or
 * link-local network, or cannot be judged, when the admin did not set the project's repository URL. Not
 * retryable: only the admin setting the URL (or a public host) changes the answer.
 */
export class CredentialsWithheldError extends Error {
  override readonly name = 'CredentialsWithheldError';
  readonly retryable = false;

  constructor(
    /** The remote's host, or how the URL was read when it names none. */
    readonly destination: string,
    /** Why it counts as inside, e.g. "loopback (127.0.0.1)". */
    readonly reason: string,
  ) {
    super(
      `VIBN did not send the project's git credentials to ${destination}, which is ${reason}: only a repository URL set ` +
        "with the admin token may lead there. The admin can allow it by setting the project's repoUrl with the admin token.",
    );
  }
}

/**
 * What a git network command needs to authenticate: settings to pass with `-c` (they name environment
 * variables, never hold a secret), environment to add, and the values to scrub from its output.
 */
export type GitAuth = {
  readonly config: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly secrets: readonly string[];
};

/** No credentials: git uses whatever the remote URL or ssh-agent gives it, as before credentials existed. */
export const NO_AUTH: GitAuth = { config: [], env: {}, secrets: [] };

export const DEFAULT_TOKEN_USERNAME = 'x-access-token';

// A credential helper written inline (git runs `!…` helpers with sh, appending the action), so no file is
// needed and a noexec /tmp does not matter. It answers `get` from its environment, and only for the host the
// project's remote names: a URL rewritten by the agent-writable .git/config (`url.*.insteadOf`,
// `remote.*.pushurl`) or a redirect to another host gets nothing.
const TOKEN_HELPER = [
  '!f() { test "$1" = get || exit 0;',
  'while IFS== read -r key value; do case "$key" in protocol) p="$value";; host) h="$value";; esac; done;',
  'if [ -n "$VIBN_GIT_ORIGIN" ] && [ "$p://$h" != "$VIBN_GIT_ORIGIN" ]; then echo "VIBN gives its git token only to $VIBN_GIT_ORIGIN" >&2; exit 0; fi;',
  'echo "username=$VIBN_GIT_USERNAME"; echo "password=$VIBN_GIT_PASSWORD"; }; f',
].join(' ');

/** Quotes a value for the shell that git runs GIT_SSH_COMMAND with. */
const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/** `scheme://host[:port]` of an http(s) remote URL as written, which is how git names it to a helper. */
function httpOrigin(remoteUrl: string | undefined): string | undefined {
  const match = remoteUrl?.match(/^(https?):\/\/(?:[^@/?#]*@)?([^/?#]+)/i);
  return match ? `${match[1]}://${match[2]}` : undefined;
}

function tokenAuth(credentials: { token: string; username?: string }, remoteUrl?: string): GitAuth {
  if (!credentials.token || /[\r\n]/.test(credentials.token)) throw new Error('the git token must be one non-empty line');
  const origin = httpOrigin(remoteUrl);
  return {
    config: [`credential.helper=${TOKEN_HELPER}`],
    env: {
      VIBN_GIT_USERNAME: credentials.username || DEFAULT_TOKEN_USERNAME,
      VIBN_GIT_PASSWORD: credentials.token,
      ...(origin ? { VIBN_GIT_ORIGIN: origin } : {}),
    },
    secrets: [credentials.token],
  };
}

async function sshKeyAuth(credentials: { privateKey: string; knownHosts?: string }, dir: string): Promise<GitAuth> {
  if (!credentials.privateKey.trim()) throw new Error('the deploy key is empty');
  const keyFile = path.join(dir, 'deploy-key');
  const knownHostsFile = path.join(dir, 'known_hosts');
  // ssh refuses a key file others can read, and a key without its final newline.
  await fs.writeFile(keyFile, `${credentials.privateKey.trim()}\n`, { mode: 0o600 });
  await fs.writeFile(knownHostsFile, credentials.knownHosts ? `${credentials.knownHosts.trim()}\n` : '', { mode: 0o600 });
  const command = [
    'ssh',
    // The user's ssh config and agent keys are not the project's; only this key, and no prompt ever.
    '-F /dev/null',
    `-i ${shellQuote(keyFile)}`,
    '-o IdentitiesOnly=yes',
    '-o BatchMode=yes',
    `-o UserKnownHostsFile=${shellQuote(knownHostsFile)}`,
    `-o StrictHostKeyChecking=${credentials.knownHosts ? 'yes' : 'accept-new'}`,
  ].join(' ');
  return { config: [], env: { GIT_SSH_COMMAND: command }, secrets: [] };
}

/** Throws CredentialsWithheldError unless `remoteUrl` is a network URL whose host resolves only outside. */
async function requireOutsideRemote(remoteUrl: string | undefined): Promise<void> {
  const location = remoteUrl === undefined ? ({ kind: 'unknown' } as const) : remoteLocation(remoteUrl);
  if (location.kind === 'local') throw new CredentialsWithheldError('a local path', 'on this server');
  if (location.kind === 'unknown') throw new CredentialsWithheldError('an unrecognised remote', 'not a network URL whose host can be checked');
  const verdict = await insideHost(location.host);
  if (verdict) throw new CredentialsWithheldError(location.host, verdict.reason);
}

/**
 * Runs `use` with what git needs to authenticate with `credentials`, and for a deploy key removes the files
 * made for it afterwards, whether `use` succeeds or throws. A token is given only to the host of `remoteUrl`
 * when that is an http(s) URL. Unless the admin set the remote, that host must resolve outside (see
 * {@link CredentialsWithheldError}); it is resolved now, at use, so a name that has since moved inside is
 * caught. Without credentials (or `kind: 'none'`) `use` gets {@link NO_AUTH}.
 */
export async function withGitAuth<T>(
  credentials: GitCredentials | undefined,
  use: (auth: GitAuth) => Promise<T>,
  options: { remoteUrl?: string } = {},
): Promise<T> {
  if (!credentials || credentials.kind === 'none') return use(NO_AUTH);
  if (credentials.remoteSetByAdmin !== true) await requireOutsideRemote(options.remoteUrl);
  if (credentials.kind === 'token') return use(tokenAuth(credentials, options.remoteUrl));
  // mkdtemp makes the folder 0700: only this user can reach the key or list the files.
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-git-auth-'));
  try {
    return await use(await sshKeyAuth(credentials, dir));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
