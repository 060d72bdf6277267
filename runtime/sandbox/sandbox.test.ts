import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { defaultToolLimits } from '../tools/types.js';
import { makeWorkspace } from '../tools/test-workspace.js';
import { grantToSandboxUser, sandboxUser } from './sandbox-user.js';
import {
  assertSandboxReady,
  describeLimitsHit,
  detectBubblewrap,
  requireSandbox,
  runSandboxed,
  SandboxUnavailableError,
  UNSANDBOXED_SETTING,
  wrapCommand,
} from './sandbox.js';

const missing = { bwrapPath: '/nonexistent/bwrap' };

describe('sandbox', () => {
  it('finds bubblewrap usable on this machine (CI needs the bubblewrap package)', async () => {
    expect(await detectBubblewrap()).toEqual({ available: true });
  });

  it('reports a missing bwrap, and refuses commands naming the setting that allows running without one', async () => {
    expect(await detectBubblewrap(missing.bwrapPath)).toEqual({ available: false, reason: '/nonexistent/bwrap was not found' });
    await expect(assertSandboxReady(missing)).rejects.toThrow(SandboxUnavailableError);
    await expect(assertSandboxReady(missing)).rejects.toThrow(`set ${UNSANDBOXED_SETTING}=1`);
    await expect(assertSandboxReady('unsandboxed')).resolves.toBeUndefined();
  });

  it('makes an absent setting the default sandbox, and keeps an explicit one', () => {
    expect(requireSandbox(undefined)).toEqual({});
    expect(requireSandbox('unsandboxed')).toBe('unsandboxed');
    expect(requireSandbox({ allowNetwork: true })).toEqual({ allowNetwork: true });
  });

  it('runs the command under prlimit inside bwrap', () => {
    const argv = wrapCommand({ worktree: '/w', sandbox: {}, limits: { cpuSeconds: 5, memoryBytes: 1, addressSpaceBytes: 2048, maxProcesses: 9 } });
    // As root, bwrap is started as the unprivileged sandbox user.
    expect(argv.slice(0, argv.indexOf('bwrap') + 1)).toEqual(sandboxUser() ? ['setpriv', `--reuid=${sandboxUser()!.uid}`, `--regid=${sandboxUser()!.gid}`, '--clear-groups', '--inh-caps=-all', '--', 'bwrap'] : ['bwrap']);
    expect(argv.slice(argv.indexOf('prlimit') - 1)).toEqual(['--', 'prlimit', '--cpu=5:10', '--as=2048', '--nproc=9', '--core=0', '--']);
  });

  it('says which cap stopped the command', () => {
    expect(describeLimitsHit(undefined, defaultToolLimits)).toBeUndefined();
    expect(describeLimitsHit({ memory: false, processes: false, cpu: false }, defaultToolLimits)).toBeUndefined();
    expect(describeLimitsHit({ memory: true, processes: true, cpu: true }, defaultToolLimits)).toBe(
      'sandbox: a process was stopped after 600 s of CPU time, its limit; a process was killed: the command\'s memory limit (4096 MiB) was reached; ' +
        'starting a process failed: the command\'s limit of 512 processes and threads was reached',
    );
    // The project's totals, across all its commands and terminals, named as such.
    expect(describeLimitsHit({ memory: true, processes: true, cpu: false, byProject: { memory: true, processes: true } }, defaultToolLimits)).toBe(
      "sandbox: a process was killed: the memory of all the project's commands and terminals together reached the project's limit; " +
        "starting a process failed: the project's commands and terminals together reached its limit of processes and threads",
    );
  });

  it('runs as nobody with its own HOME, and writes land in the worktree', async () => {
    const { root } = await makeWorkspace({ 'a.txt': 'hello' });
    await grantToSandboxUser(root);
    const run = await runSandboxed('id -u; echo "$HOME"; cat a.txt; echo made > b.txt', {
      cwd: root,
      env: { PATH: '/usr/bin:/bin' },
      timeoutMs: 10_000,
      maxOutputBytes: 10_000,
      sandbox: {},
      limits: defaultToolLimits,
    });
    expect(run).toMatchObject({ exitCode: 0, output: '65534\n/home/sandbox\nhello' });
    expect(await fs.readFile(`${root}/b.txt`, 'utf8')).toBe('made\n');
    // Made by the sandbox, owned on the host by the unprivileged sandbox user, never by root.
    expect((await fs.stat(`${root}/b.txt`)).uid).toBe(sandboxUser()?.uid ?? process.getuid!());
    expect(run.limitsHit).toEqual({ memory: false, processes: false, cpu: false });
  });

  it('shows bwrap\'s own complaint when it cannot build the sandbox', async () => {
    const { root } = await makeWorkspace();
    const run = await runSandboxed('true', {
      cwd: root,
      env: { PATH: '/usr/bin:/bin' },
      timeoutMs: 10_000,
      maxOutputBytes: 10_000,
      sandbox: { homeDir: '/nonexistent/home' },
      limits: defaultToolLimits,
    });
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain('bwrap');
  });
});
