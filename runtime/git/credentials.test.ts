import fs from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_AUTH, withGitAuth, type GitAuth } from './credentials.js';
import { GitAuthenticationError, runGit } from './run-git.js';
import { TempDirs } from './test-repos.js';

const temp = new TempDirs();
afterEach(() => temp.removeAll());

const TOKEN = 'gta_unit_0123456789abcdef';
const REMOTE = 'https://git.example.com:3000/acme/shop.git';

/** Asks git for credentials the way a clone or push does, answered only by what `auth` configures. */
async function fill(auth: GitAuth, protocol: string, host: string) {
  return runGit(await temp.make(), ['credential', 'fill'], { auth, input: `protocol=${protocol}\nhost=${host}\n\n` });
}

describe('withGitAuth', () => {
  it('adds nothing without credentials', async () => {
    expect(await withGitAuth(undefined, async (auth) => auth)).toBe(NO_AUTH);
    expect(await withGitAuth({ kind: 'none' }, async (auth) => auth)).toBe(NO_AUTH);
  });

  it('hands a token to git through the environment only, and only for the remote’s host', async () => {
    await withGitAuth(
      { kind: 'token', token: TOKEN },
      async (auth) => {
        expect(auth.secrets).toEqual([TOKEN]);
        expect(auth.config.join(' ')).not.toContain(TOKEN);
        expect(Object.entries(auth.env).filter(([, value]) => value.includes(TOKEN))).toEqual([['VIBN_GIT_PASSWORD', TOKEN]]);
        expect(auth.env.VIBN_GIT_ORIGIN).toBe('https://git.example.com:3000');

        expect((await fill(auth, 'https', 'git.example.com:3000')).stdout).toContain(`username=x-access-token\npassword=${TOKEN}`);
        await expect(fill(auth, 'https', 'evil.example.com')).rejects.toBeInstanceOf(GitAuthenticationError);
        await expect(fill(auth, 'http', 'git.example.com:3000')).rejects.toBeInstanceOf(GitAuthenticationError);
      },
      { remoteUrl: REMOTE },
    );
  });

  it('uses the given user name with the token', async () => {
    const stdout = await withGitAuth({ kind: 'token', token: TOKEN, username: 'vibn-bot' }, async (auth) => (await fill(auth, 'https', 'any.host')).stdout);
    expect(stdout).toContain('username=vibn-bot\n');
  });

  it('refuses a token that is not one line', async () => {
    await expect(withGitAuth({ kind: 'token', token: 'a\nb' }, async () => undefined)).rejects.toThrow(/one non-empty line/);
  });

  it('writes a deploy key to a private file for ssh, pins the host key, and deletes both afterwards', async () => {
    const privateKey = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----';
    const knownHosts = '[git.example.com]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample';
    let keyFile = '';
    const failure = await withGitAuth({ kind: 'ssh_key', privateKey, knownHosts }, async (auth) => {
      const command = auth.env.GIT_SSH_COMMAND ?? '';
      keyFile = /-i '([^']+)'/.exec(command)?.[1] ?? '';
      expect(command).toMatch(/-o IdentitiesOnly=yes .*-o StrictHostKeyChecking=yes/);
      expect(command).not.toContain('OPENSSH');
      expect((await fs.stat(keyFile)).mode & 0o777).toBe(0o600);
      expect(await fs.readFile(keyFile, 'utf8')).toBe(`${privateKey}\n`);
      const knownHostsFile = /UserKnownHostsFile='([^']+)'/.exec(command)?.[1] ?? '';
      expect(await fs.readFile(knownHostsFile, 'utf8')).toBe(`${knownHosts}\n`);
      throw new Error('the push failed');
    }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ message: 'the push failed' });
    await expect(fs.access(keyFile)).rejects.toThrow();
  });

  it('trusts a host key on first use when none is given', async () => {
    const command = await withGitAuth({ kind: 'ssh_key', privateKey: 'key' }, async (auth) => auth.env.GIT_SSH_COMMAND);
    expect(command).toContain('StrictHostKeyChecking=accept-new');
  });
});
