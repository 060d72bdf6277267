/**
 * VIBN reaching a project's git server the way it will in production: over HTTP with an access token (a
 * smart-HTTP server fronting `git http-backend`) and over SSH with a deploy key (a real sshd), both on
 * 127.0.0.1, each serving a bare repository made for the test.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  commitAll,
  CredentialsWithheldError,
  GitAuthenticationError,
  GitCommandError,
  prepareWorkingCopy,
  pushBranch,
  PushRejectedError,
  type GitCredentials,
} from '../runtime/git/index.js';
import { runGit } from '../runtime/git/run-git.js';
import { listFilesAtRef } from '../runtime/git/read-tree.js';
import { makeRemote, TempDirs, writeFiles } from '../runtime/git/test-repos.js';
import { startGitHttpServer, type FakeGitHttpServer } from './fakes/git-http-server.js';
import { sshdAvailable, startGitSshServer, type FakeGitSshServer } from './fakes/git-ssh-server.js';

const TOKEN = 'gta_7f3c9e1b5d2a4c6e8f0a1b2c3d4e5f60';
const temp = new TempDirs();

/** Every file under `dir` whose bytes contain `needle`. */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if ((await fs.readFile(file)).includes(needle)) found.push(file);
  }
  return found;
}

/** The command lines of every process now running, read while git is waiting on the server. */
function commandLines(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return lines;
}

/** A working copy of `remoteUrl` with one new commit of `files`, made by VIBN over the network. */
async function commitInClone(remoteUrl: string, credentials: GitCredentials, files: Record<string, string>, requestId = 'req-auth') {
  const dir = path.join(await temp.make('wc'), 'project');
  await prepareWorkingCopy({ remoteUrl, branch: 'main', dir, credentials });
  await writeFiles(dir, files);
  const { commit } = await commitAll({ dir, message: 'Agent change', requestId });
  return { dir, commit };
}

describe('git over HTTP with an access token', () => {
  let server: FakeGitHttpServer;
  let bare: string;
  let url: string;
  let argvDuringRequests: string[];
  let gitProcessesSeen: number;
  // The admin set these repositories on 127.0.0.1; a project token's URL could not lead here (see below).
  const token: GitCredentials = { kind: 'token', token: TOKEN, remoteSetByAdmin: true };

  beforeEach(async () => {
    bare = await makeRemote(temp, { 'README.md': 'v1\n' });
    argvDuringRequests = [];
    gitProcessesSeen = 0;
    server = await startGitHttpServer({
      root: path.dirname(bare),
      token: TOKEN,
      onRequest: () => {
        const lines = commandLines();
        gitProcessesSeen += lines.filter((l) => l.includes('remote-http')).length;
        argvDuringRequests.push(...lines.filter((l) => l.includes(TOKEN)));
      },
    });
    url = server.url('project.git');
  });
  afterEach(async () => {
    await server.close();
    await temp.removeAll();
  });

  it('clones, fetches and pushes with the token, which no file, URL or command line ever holds', async () => {
    const { dir, commit } = await commitInClone(url, token, { 'src/referral.js': 'export {};\n' });
    expect(await pushBranch({ dir, branch: 'main', remote: url, credentials: token })).toEqual({ pushed: true, commit, rebased: false });
    expect(await listFilesAtRef(bare, 'main')).toEqual(['README.md', 'src/referral.js']);
    // A second prepare fetches over the network too.
    expect(await prepareWorkingCopy({ remoteUrl: url, branch: 'main', dir, credentials: token })).toEqual({ head: commit, cloned: false });

    expect(server.requests.some((r) => r.method === 'POST' && r.path.endsWith('/git-receive-pack') && r.authorized)).toBe(true);
    expect((await runGit(dir, ['remote', 'get-url', 'origin'])).stdout).toBe(url);
    expect(await filesContaining(dir, TOKEN)).toEqual([]);
    expect(gitProcessesSeen).toBeGreaterThan(0);
    expect(argvDuringRequests).toEqual([]);
  });

  it('fails at once with a non-retryable authentication error, naming no token, when the token is missing or wrong', async () => {
    const started = Date.now();
    const dir = path.join(await temp.make('wc'), 'project');
    const missing = await prepareWorkingCopy({ remoteUrl: url, branch: 'main', dir }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(GitAuthenticationError);
    expect(missing).toMatchObject({ retryable: false, message: expect.stringMatching(/check its access token/) });

    const wrong = 'gta_wrong_0123456789abcdef';
    const refused = await prepareWorkingCopy({ remoteUrl: url, branch: 'main', dir, credentials: { kind: 'token', token: wrong, remoteSetByAdmin: true } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GitAuthenticationError);
    expect(String((refused as Error).message)).toMatch(/Authentication failed/);
    expect(String((refused as Error).message)).not.toContain(wrong);
    // GIT_TERMINAL_PROMPT=0: nothing waits for someone to type a password.
    expect(Date.now() - started).toBeLessThan(15_000);
    await expect(fs.access(dir)).rejects.toThrow();
  });

  it('sends the token nowhere, and git nothing, when a project token set a repository URL that leads here', async () => {
    const fromProject: GitCredentials = { kind: 'token', token: TOKEN };
    const dir = path.join(await temp.make('wc'), 'project');
    const before = server.requests.length;
    for (const remoteUrl of [url, url.replace('127.0.0.1', 'localhost'), url.replace('127.0.0.1', '2130706433')]) {
      const refused = await prepareWorkingCopy({ remoteUrl, branch: 'main', dir, credentials: fromProject }).catch((e: unknown) => e);
      expect(refused, remoteUrl).toBeInstanceOf(CredentialsWithheldError);
      expect(refused).toMatchObject({ retryable: false, message: expect.stringMatching(/did not send the project's git credentials/) });
    }
    expect(server.requests.slice(before)).toEqual([]);
    await expect(fs.access(dir)).rejects.toThrow();
  });

  it('keeps the token from a host the working copy’s config redirects the push to', async () => {
    const { dir } = await commitInClone(url, token, { 'a.txt': 'a\n' });
    const elsewhere = url.replace('127.0.0.1', 'localhost');
    await runGit(dir, ['config', `url.${elsewhere.replace('project.git', '')}.insteadOf`, url.replace('project.git', '')]);
    const before = server.requests.length;

    await expect(pushBranch({ dir, branch: 'main', remote: url, credentials: token })).rejects.toBeInstanceOf(GitAuthenticationError);
    expect(server.requests.slice(before).filter((r) => r.authorized)).toEqual([]);
  });

  it('rebases onto a change another clone pushed first, then pushes again, all over HTTP', async () => {
    const ours = await commitInClone(url, token, { 'src/ours.js': 'ours\n' }, 'req-ours');
    const theirs = await commitInClone(url, token, { 'docs/theirs.md': 'theirs\n' }, 'req-theirs');
    await pushBranch({ dir: theirs.dir, branch: 'main', remote: url, credentials: token });

    const result = await pushBranch({ dir: ours.dir, branch: 'main', remote: url, credentials: token });
    expect(result).toMatchObject({ pushed: true, rebased: true });
    expect((await runGit(bare, ['rev-parse', 'main^'])).stdout).toBe(theirs.commit);
    expect(await listFilesAtRef(bare, 'main')).toEqual(['README.md', 'docs/theirs.md', 'src/ours.js']);
  });

  it('a server refusing pushes for a while gives a retryable error, and the same push lands once it accepts', async () => {
    const { dir, commit } = await commitInClone(url, token, { 'a.txt': 'a\n' });
    server.rejectPushes(true, 'unavailable');
    const error = await pushBranch({ dir, branch: 'main', remote: url, credentials: token }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitCommandError);
    expect(error).not.toBeInstanceOf(GitAuthenticationError);
    expect(error).toMatchObject({ retryable: true, message: expect.stringContaining('503') });

    server.rejectPushes(false);
    expect(await pushBranch({ dir, branch: 'main', remote: url, credentials: token })).toEqual({ pushed: true, commit, rebased: false });
  });

  it('a pre-receive hook declining the push is the remote refusing it, until the hook stops', async () => {
    const { dir, commit } = await commitInClone(url, token, { 'a.txt': 'a\n' });
    server.rejectPushes(true, 'hook');
    const error = await pushBranch({ dir, branch: 'main', remote: url, credentials: token }).catch((e: unknown) => e);
    // Git reports any hook refusal the same way as a protected branch, so VIBN cannot tell whether it is
    // temporary: it is retried within the push's bounded attempts.
    expect(error).toBeInstanceOf(PushRejectedError);
    expect(error).toMatchObject({ reason: 'remote-rejected', retryable: true });

    server.rejectPushes(false);
    expect(await pushBranch({ dir, branch: 'main', remote: url, credentials: token })).toEqual({ pushed: true, commit, rebased: false });
  });
});

describe.skipIf(!sshdAvailable)('git over SSH with a deploy key', () => {
  let server: FakeGitSshServer;
  beforeAll(async () => {
    server = await startGitSshServer();
  });
  afterAll(() => server?.close());
  afterEach(() => temp.removeAll());

  it('clones, fetches and pushes with the deploy key, checking the server’s host key', async () => {
    const bare = await makeRemote(temp);
    const url = server.url(bare);
    const key: GitCredentials = { kind: 'ssh_key', privateKey: server.deployKey, knownHosts: server.knownHosts, remoteSetByAdmin: true };
    const { dir, commit } = await commitInClone(url, key, { 'src/a.js': 'a\n' });

    expect(await pushBranch({ dir, branch: 'main', credentials: key })).toEqual({ pushed: true, commit, rebased: false });
    expect(await listFilesAtRef(bare, 'main')).toEqual(['README.md', 'src/a.js']);
    expect(await prepareWorkingCopy({ remoteUrl: url, branch: 'main', dir, credentials: key })).toEqual({ head: commit, cloned: false });
    expect(await filesContaining(dir, 'PRIVATE KEY')).toEqual([]);
  });

  it('trusts the host key on first use when none is given', async () => {
    const bare = await makeRemote(temp);
    const dir = path.join(await temp.make('wc'), 'project');
    const result = await prepareWorkingCopy({ remoteUrl: server.url(bare), branch: 'main', dir, credentials: { kind: 'ssh_key', privateKey: server.deployKey, remoteSetByAdmin: true } });
    expect(result.cloned).toBe(true);
  });

  it('refuses an unknown deploy key, and a server whose host key does not match, as authentication errors', async () => {
    const bare = await makeRemote(temp);
    const url = server.url(bare);
    const keyDir = await temp.make('key');
    await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(keyDir, 'k')]);
    const otherKey = await fs.readFile(path.join(keyDir, 'k'), 'utf8');
    const otherHost = (await fs.readFile(path.join(keyDir, 'k.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
    const dir = path.join(await temp.make('wc'), 'project');

    const unknownKey = prepareWorkingCopy({ remoteUrl: url, branch: 'main', dir, credentials: { kind: 'ssh_key', privateKey: otherKey, knownHosts: server.knownHosts, remoteSetByAdmin: true } });
    await expect(unknownKey).rejects.toThrow(/Permission denied \(publickey/);
    await expect(unknownKey).rejects.toBeInstanceOf(GitAuthenticationError);

    const spoofed = `${server.knownHosts.split(' ')[0]} ${otherHost}`;
    const wrongHost = prepareWorkingCopy({ remoteUrl: url, branch: 'main', dir, credentials: { kind: 'ssh_key', privateKey: server.deployKey, knownHosts: spoofed, remoteSetByAdmin: true } });
    await expect(wrongHost).rejects.toThrow(/Host key verification failed/);
  });
});
