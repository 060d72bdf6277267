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

/** A project's credentials for its git server. */
export type GitCredentials =
  /** An access token (Gitea, GitHub, GitLab), sent as the password of HTTP Basic auth. */
  | { kind: 'token'; token: string; /** Defaults to `x-access-token`; Gitea and GitHub accept any name with a token. */ username?: string }
  /** A deploy key: an OpenSSH private key without a passphrase, and the server's host keys in known_hosts form. */
  | { kind: 'ssh_key'; privateKey: string; /** Without it the host key is not verified (first use is trusted). */ knownHosts?: string }
  | { kind: 'none' };

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

/**
 * Runs `use` with what git needs to authenticate with `credentials`, and for a deploy key removes the files
 * made for it afterwards, whether `use` succeeds or throws. A token is given only to the host of `remoteUrl`
 * when that is an http(s) URL. Without credentials (or `kind: 'none'`) `use` gets {@link NO_AUTH}.
 */
export async function withGitAuth<T>(
  credentials: GitCredentials | undefined,
  use: (auth: GitAuth) => Promise<T>,
  options: { remoteUrl?: string } = {},
): Promise<T> {
  if (!credentials || credentials.kind === 'none') return use(NO_AUTH);
  if (credentials.kind === 'token') return use(tokenAuth(credentials, options.remoteUrl));
  // mkdtemp makes the folder 0700: only this user can reach the key or list the files.
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-git-auth-'));
  try {
    return await use(await sshKeyAuth(credentials, dir));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
