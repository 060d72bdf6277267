/**
 * What a sandboxed command leaves on the host cannot be turned against it: the sandbox is never host root,
 * a setuid file made inside gives nothing outside, and each project's disk is bounded by the kernel. Tried
 * with real bwrap, real loop-mounted project disks and a real unprivileged host user.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxUser } from '../runtime/sandbox/sandbox-user.js';
import { defaultToolLimits, executeTool, minimalCommandEnv, type ToolContext } from '../runtime/tools/index.js';
import { workspaceLayout } from '../runtime/workspace/layout.js';
import { diskImage, mountsUnder, removeProjectDisk, removeStateFolder } from '../runtime/workspace/project-disk.js';
import { openWorkspace } from '../runtime/workspace/sweep.js';

const MiB = 1024 ** 2;
/** An unprivileged host user other than the sandbox's: the stranger who finds the file on the host. */
const STRANGER = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

describe.runIf(process.getuid?.() === 0)('the host, after a sandboxed command', () => {
  let home: string;
  let worktree: string;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-host-'));
    await openWorkspace(home, 'alpha', { bytes: 64 * MiB });
    await openWorkspace(home, 'beta', { bytes: 64 * MiB });
    worktree = path.join(workspaceLayout(home, 'alpha').root, 'tasks', 't1');
    await fs.mkdir(worktree, { recursive: true });
  });

  afterAll(async () => {
    await removeStateFolder(home);
  });

  const run = (command: string, root = worktree) => {
    const ctx: ToolContext = { root, limits: defaultToolLimits, env: minimalCommandEnv(), sandbox: {} };
    return executeTool(ctx, 'execute_command', { command });
  };

  it('runs commands as the unprivileged sandbox user, never as host root', async () => {
    const user = sandboxUser()!;
    expect(user.uid).not.toBe(0);
    const outcome = await run('id -u; touch made');
    expect(outcome.output).toMatch(/^exit code: 0\n65534\n/);
    const made = await fs.stat(path.join(worktree, 'made'));
    expect([made.uid, made.gid]).toEqual([user.uid, user.gid]);
  });

  it('mounts each workspace as its own disk, nosuid and nodev', async () => {
    const points = await mountsUnder(home);
    expect(points.sort()).toEqual([workspaceLayout(home, 'alpha').root, workspaceLayout(home, 'beta').root].sort());
    const { stdout } = await execa('findmnt', ['-n', '-o', 'OPTIONS,SOURCE', '--mountpoint', workspaceLayout(home, 'alpha').root]);
    expect(stdout).toMatch(/\bnosuid\b/);
    expect(stdout).toMatch(/\bnodev\b/);
    expect(stdout).toMatch(/\/dev\/loop\d+/);
    expect((await fs.stat(diskImage(home, 'alpha'))).mode & 0o077).toBe(0);
  });

  it('gives nothing to a stranger who runs a setuid file the sandbox made', async () => {
    const outcome = await run('cp /bin/bash ./sh && chmod u+s,g+s ./sh && stat -c %A ./sh');
    expect(outcome.output).toMatch(/^exit code: 0\n-rwsr-s/);
    const shell = path.join(worktree, 'sh');
    const { stdout } = await execa(STRANGER[0]!, [...STRANGER.slice(1), shell, '-p', '-c', 'id -u; id -g'], { reject: false });
    expect(stdout.split('\n')).toEqual(['65534', '65534']);
  });

  it('gives nothing even for a root-owned setuid file on the disk: the mount ignores setuid bits', async () => {
    const shell = path.join(worktree, 'root-sh');
    await fs.copyFile('/bin/bash', shell);
    await fs.chown(shell, 0, 0);
    await fs.chmod(shell, 0o4755);
    const { stdout } = await execa(STRANGER[0]!, [...STRANGER.slice(1), shell, '-p', '-c', 'id -u'], { reject: false });
    expect(stdout).toBe('65534');
  });

  it("stops a command at its project's disk size, and the other project still writes", async () => {
    const full = await run('dd if=/dev/zero of=big bs=1M count=200 2>&1; df -k . | tail -n 1');
    expect(full.output).toContain('No space left on device');
    // The host's disk did not take the bytes: the image stays within its size.
    const image = await fs.stat(diskImage(home, 'alpha'));
    expect(image.blocks * 512).toBeLessThanOrEqual(64 * MiB);
    const other = path.join(workspaceLayout(home, 'beta').root, 'w');
    await fs.mkdir(other);
    expect((await run('dd if=/dev/zero of=ok bs=1M count=8 2>&1 && echo WROTE', other)).output).toContain('WROTE');
    await run('rm -f big');
  });

  it('mounts the same disk again after an unmount (a host restart), keeping its files', async () => {
    const root = workspaceLayout(home, 'beta').root;
    await fs.writeFile(path.join(root, 'kept.txt'), 'still here');
    await execa('umount', [root]);
    expect(await mountsUnder(root)).toEqual([]);
    await Promise.all([openWorkspace(home, 'beta', { bytes: 64 * MiB }), openWorkspace(home, 'beta', { bytes: 64 * MiB })]);
    expect(await mountsUnder(root)).toEqual([root]);
    expect(await fs.readFile(path.join(root, 'kept.txt'), 'utf8')).toBe('still here');
  });

  it("removes a deleted project's disk: unmounted, its folder and image gone", async () => {
    await openWorkspace(home, 'gamma', { bytes: 16 * MiB });
    const root = workspaceLayout(home, 'gamma').root;
    expect(await mountsUnder(root)).toEqual([root]);
    await removeProjectDisk(home, root, 'gamma');
    expect(await mountsUnder(root)).toEqual([]);
    await expect(fs.stat(root)).rejects.toThrow();
    await expect(fs.stat(diskImage(home, 'gamma'))).rejects.toThrow();
  });

  it('grows a project disk at its next mount when the operator raised its size, keeping its files', async () => {
    await openWorkspace(home, 'delta', { bytes: 64 * MiB });
    const root = workspaceLayout(home, 'delta').root;
    await fs.writeFile(path.join(root, 'kept.txt'), 'kept');
    const size = async () => Number((await execa('df', ['-B1', '--output=size', root])).stdout.split('\n')[1]);
    const before = await size();
    await execa('umount', [root]);
    await openWorkspace(home, 'delta', { bytes: 128 * MiB });
    expect(await size()).toBeGreaterThan(before + 48 * MiB);
    expect(await fs.readFile(path.join(root, 'kept.txt'), 'utf8')).toBe('kept');
  });
});
