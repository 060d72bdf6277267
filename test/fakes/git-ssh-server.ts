/**
 * A git server on 127.0.0.1 reached over SSH with a deploy key, as Gitea's built-in SSH is: a real OpenSSH
 * `sshd` run in the foreground as the test's child, on a free port, with a host key and a deploy key made
 * for it. The deploy key may only run git-shell, so it can fetch and push and nothing else. Needs the
 * Debian package openssh-server (`/usr/sbin/sshd`); tests skip when {@link sshdAvailable} is false.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/ports.js';

const SSHD = '/usr/sbin/sshd';

/** True when this machine has OpenSSH's server to run. */
export const sshdAvailable = existsSync(SSHD);

export type FakeGitSshServer = {
  /** The ssh:// URL of the bare repository at the absolute path `repoPath`. */
  url(repoPath: string): string;
  /** The private half of the deploy key the server accepts (OpenSSH format, no passphrase). */
  deployKey: string;
  /** The server's host key as a known_hosts line for its address and port. */
  knownHosts: string;
  close(): Promise<void>;
};

const run = promisify(execFile);

async function makeKey(file: string): Promise<{ privateKey: string; publicKey: string }> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'vibn-test', '-f', file]);
  return { privateKey: await fs.readFile(file, 'utf8'), publicKey: (await fs.readFile(`${file}.pub`, 'utf8')).trim() };
}

/** Resolves once something on the port answers with an SSH banner, so the first clone does not race sshd. */
async function waitForBanner(port: number, exited: () => string | undefined, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const why = exited();
    if (why !== undefined) throw new Error(`sshd exited before it was ready: ${why}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setTimeout(1_000);
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('SSH-'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`sshd did not answer on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** Starts sshd on a free port of 127.0.0.1, accepting only a fresh deploy key for the current user. */
export async function startGitSshServer(): Promise<FakeGitSshServer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-git-ssh-'));
  const host = await makeKey(path.join(dir, 'host_key'));
  const deploy = await makeKey(path.join(dir, 'deploy_key'));
  // What a git host puts in front of a deploy key: git-shell, and no shell, forwarding or terminal.
  const restrictions = 'command="git-shell -c \\"$SSH_ORIGINAL_COMMAND\\"",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty';
  await fs.writeFile(path.join(dir, 'authorized_keys'), `${restrictions} ${deploy.publicKey}\n`, { mode: 0o600 });
  const port = await freePort();
  const config = path.join(dir, 'sshd_config');
  await fs.writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PidFile none',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      // The files live under the world-writable temporary folder, which StrictModes would refuse.
      'StrictModes no',
      'PrintMotd no',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  // sshd insists on its privilege separation folder when it runs as root.
  if (process.getuid?.() === 0) await fs.mkdir('/run/sshd', { recursive: true, mode: 0o755 });

  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  let exit: string | undefined;
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.on('exit', (code, signal) => (exit = `${code ?? signal}: ${log}`));
  child.on('error', (err) => (exit = String(err)));
  try {
    await waitForBanner(port, () => exit);
  } catch (err) {
    child.kill();
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }

  const user = os.userInfo().username;
  return {
    url: (repoPath) => `ssh://${user}@127.0.0.1:${port}${path.resolve(repoPath)}`,
    deployKey: deploy.privateKey,
    knownHosts: `[127.0.0.1]:${port} ${host.publicKey.split(' ').slice(0, 2).join(' ')}`,
    async close() {
      if (exit === undefined) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill();
        await exited;
      }
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
