import fs from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { CredentialsWithheldError, NO_AUTH, withGitAuth, type GitAuth } from './credentials.js';
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
      { kind: 'token', token: TOKEN, remoteSetByAdmin: true },
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
    const stdout = await withGitAuth({ kind: 'token', token: TOKEN, username: 'vibn-bot', remoteSetByAdmin: true }, async (auth) => (await fill(auth, 'https', 'any.host')).stdout);
    expect(stdout).toContain('username=vibn-bot\n');
  });

  it('refuses a token that is not one line', async () => {
    await expect(withGitAuth({ kind: 'token', token: 'a\nb', remoteSetByAdmin: true }, async () => undefined)).rejects.toThrow(/one non-empty line/);
  });

  it('writes a deploy key to a private file for ssh, pins the host key, and deletes both afterwards', async () => {
    const privateKey = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----';
    const knownHosts = '[git.example.com]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample';
    let keyFile = '';
    const failure = await withGitAuth({ kind: 'ssh_key', privateKey, knownHosts, remoteSetByAdmin: true }, async (auth) => {
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
    const command = await withGitAuth({ kind: 'ssh_key', privateKey: 'key', remoteSetByAdmin: true }, async (auth) => auth.env.GIT_SSH_COMMAND);
    expect(command).toContain('StrictHostKeyChecking=accept-new');
  });

  describe('for a remote the admin did not set', () => {
    const token = { kind: 'token', token: TOKEN } as const;
    const key = { kind: 'ssh_key', privateKey: 'key' } as const;

    it.each([
      [token, 'https://127.0.0.1:3000/acme/shop.git', '127.0.0.1, which is loopback'],
      [token, 'https://[::1]/acme/shop.git', '::1, which is unspecified or loopback'],
      [token, 'https://2130706433/acme/shop.git', '2130706433, which is loopback (127.0.0.1)'],
      [token, 'https://localhost/acme/shop.git', 'localhost, which is localhost'],
      [token, 'https://169.254.169.254/latest', '169.254.169.254, which is link-local'],
      [key, 'git@10.0.0.5:acme/shop.git', '10.0.0.5, which is private'],
      [key, 'ssh://git@192.168.1.10/acme/shop.git', '192.168.1.10, which is private'],
      [key, 'ssh://git@100.64.0.1/acme/shop.git', '100.64.0.1, which is carrier-grade NAT'],
      [token, '/srv/git/other-project.git', 'a local path, which is on this server'],
      [token, 'origin', 'an unrecognised remote, which is not a network URL'],
      [token, 'https://no-such-host.invalid/x.git', 'no-such-host.invalid, which is a name that does not resolve'],
    ])('withholds %s from %s', async (credentials, remoteUrl, said) => {
      let used = false;
      const error = await withGitAuth(credentials, async () => (used = true), { remoteUrl }).catch((e: unknown) => e);
      expect(used).toBe(false);
      expect(error).toBeInstanceOf(CredentialsWithheldError);
      expect(error).toMatchObject({ name: 'CredentialsWithheldError', retryable: false });
      expect((error as Error).message).toContain(`VIBN did not send the project's git credentials to ${said}`);
      expect((error as Error).message).toContain('admin token');
      expect((error as Error).message).not.toContain(TOKEN);
    });

    it('gives them to a host outside, and the admin’s remote anywhere', async () => {
      const outside = await withGitAuth(token, async (auth) => auth.env.VIBN_GIT_ORIGIN, { remoteUrl: 'https://203.0.113.5/acme/shop.git' });
      expect(outside).toBe('https://203.0.113.5');
      const admins = await withGitAuth({ ...token, remoteSetByAdmin: true }, async (auth) => auth.env.VIBN_GIT_ORIGIN, { remoteUrl: 'https://127.0.0.1:3000/x.git' });
      expect(admins).toBe('https://127.0.0.1:3000');
      // Without credentials there is nothing to withhold.
      expect(await withGitAuth({ kind: 'none' }, async (auth) => auth, { remoteUrl: 'https://127.0.0.1/x.git' })).toBe(NO_AUTH);
    });
  });
});
