/**
 * What an agent's command cannot do from inside the bubblewrap sandbox, each tried for real with bwrap and
 * real processes, and what it still can do. Needs the bubblewrap package (bwrap 0.8+); the cgroup caps are
 * tried where the worker may make cgroup v1 groups (root on our machines).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cgroupParents } from '../runtime/sandbox/cgroup.js';
import { sandboxUser } from '../runtime/sandbox/sandbox-user.js';
import { workspaceLayout } from '../runtime/workspace/layout.js';
import { removeStateFolder } from '../runtime/workspace/project-disk.js';
import { openWorkspace } from '../runtime/workspace/sweep.js';
import { defaultToolLimits, executeTool, minimalCommandEnv, type ToolContext, type ToolLimits } from '../runtime/tools/index.js';

const cgroups = (await cgroupParents()) !== undefined;

/** Host processes whose command line contains `marker`, after a moment for SIGKILL to land. */
async function hostProcessesWith(marker: string): Promise<number> {
  let found = 0;
  for (let attempt = 0; attempt < 20; attempt += 1) {
    found = 0;
    for (const pid of (await fs.readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
      const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes(marker)) found += 1;
    }
    if (found === 0) return 0;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return found;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

describe('the command sandbox', () => {
  let base: string;
  let worktree: string;
  let sibling: string;
  let server: http.Server;
  let httpPort: number;
  const escapes: string[] = [];

  beforeAll(async () => {
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-escapes-'));
    // Two projects' workspaces as the product makes them: each its own mounted disk (nosuid, nodev), made
    // writable for the sandbox user.
    await openWorkspace(base, 'project-a');
    await openWorkspace(base, 'project-b');
    worktree = path.join(workspaceLayout(base, 'project-a').root, 'tasks', 't1');
    sibling = workspaceLayout(base, 'project-b').root;
    await fs.mkdir(path.join(worktree, 'pkg'), { recursive: true });
    await fs.writeFile(path.join(sibling, 'secret.txt'), 'project b secret');
    await fs.writeFile(path.join(worktree, 'pkg/package.json'), JSON.stringify({ name: 'tiny', version: '1.0.0', scripts: { test: 'node --test' } }));
    await fs.writeFile(path.join(worktree, 'pkg/add.test.js'), "require('node:test')('adds', () => require('node:assert').equal(1 + 1, 2));\n");
    await execa('git', ['init', '-q'], { cwd: worktree });
    await execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'init'], { cwd: worktree });
    server = http.createServer((_req, res) => res.end('host service'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    httpPort = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    server.close();
    await removeStateFolder(base);
    await Promise.all(escapes.map((file) => fs.rm(file, { force: true })));
  });

  function context(limits: Partial<ToolLimits> = {}, sandbox: ToolContext['sandbox'] = {}): ToolContext {
    return { root: worktree, limits: { ...defaultToolLimits, ...limits }, env: minimalCommandEnv(), sandbox };
  }

  async function run(command: string, options: { limits?: Partial<ToolLimits>; sandbox?: ToolContext['sandbox']; timeout?: number } = {}) {
    const input = { command, ...(options.timeout ? { timeout_seconds: options.timeout } : {}) };
    return executeTool(context(options.limits, options.sandbox), 'execute_command', input);
  }

  it('does normal work: npm test, git status, and files that appear in the host worktree', async () => {
    const outcome = await run('cd pkg && npm test 2>&1 | tail -n 8 && cd .. && echo made > made.txt && git status --short');
    expect(outcome.output).toMatch(/^exit code: 0\n/);
    expect(outcome.output).toContain('# pass 1');
    expect(outcome.output).toContain('?? made.txt');
    const stat = await fs.stat(path.join(worktree, 'made.txt'));
    // Owned on the host by the unprivileged sandbox user (VIBN's own user where VIBN is not root).
    expect(stat.uid).toBe(sandboxUser()?.uid ?? process.getuid?.());
  });

  it('cannot write outside the worktree', async () => {
    const name = `vibn-escape-${randomUUID()}`;
    escapes.push(path.join(path.dirname(worktree), name), path.join(os.tmpdir(), name), path.join('/usr', name), path.join(os.homedir(), name));
    const outcome = await run(`echo x > ../${name}; echo x > /usr/${name}; echo x > $HOME/../${name}; echo x > ${os.homedir()}/${name}; echo x > /tmp/${name} && echo tmp-ok`);
    expect(outcome.output).toContain('tmp-ok'); // the sandbox's own /tmp, not the host's
    for (const file of escapes) expect(await exists(file)).toBe(false);
  });

  it('cannot remount, gain a user namespace, or write sysctls', async () => {
    const corePattern = await fs.readFile('/proc/sys/kernel/core_pattern', 'utf8');
    const outcome = await run(
      'mount -o remount,rw /usr && echo REMOUNTED; mount -o remount,rw,bind / && echo REMOUNTED; ' +
        'mount -o remount,rw .git && echo REMOUNTED; unshare -Ur true && echo USERNS; ' +
        "echo '|/tmp/x' > /proc/sys/kernel/core_pattern && echo SYSCTL; echo '[core] fsmonitor = x' >> .git/config && echo GITCONFIG; id -u",
    );
    expect(outcome.output).not.toMatch(/REMOUNTED|USERNS|SYSCTL|GITCONFIG/);
    expect(outcome.output).toContain('must be superuser');
    expect(outcome.output).toMatch(/65534\n$/);
    expect(await fs.readFile('/proc/sys/kernel/core_pattern', 'utf8')).toBe(corePattern);
  });

  it("cannot read another project's files, the worker's home, or host secrets", async () => {
    const outcome = await run(`cat ../project-b/secret.txt; cat ${sibling}/secret.txt; ls ..; ls /root; ls ${os.homedir()}; cat /etc/shadow`);
    expect(outcome.output).not.toContain('project b secret');
    expect(outcome.output).toMatch(/^t1$/m);
    expect(outcome.output).toContain('/etc/shadow: No such file or directory');
  });

  it('shows a symlink to /etc only the sandbox view, and the file tools refuse it', async () => {
    const outcome = await run('ln -sfn /etc etc && cat etc/shadow; ls etc/ssl');
    expect(outcome.output).toContain('etc/shadow: No such file or directory');
    expect(outcome.output).not.toMatch(/private/);
    const read = await executeTool(context(), 'read_file', { path: 'etc/shadow' });
    expect(read.isError).toBe(true);
  });

  it('does not follow a .git symlink left by an earlier command to a host folder', async () => {
    const plain = path.join(workspaceLayout(base, 'project-a').root, 'tasks', 't2');
    await fs.mkdir(plain);
    const ctx = { ...context(), root: plain };
    await executeTool(ctx, 'execute_command', { command: 'ln -s /etc/ssl .git' });
    const outcome = await executeTool(ctx, 'execute_command', { command: 'ls .git/ /etc/ssl/' });
    expect(outcome.output).toMatch(/^exit code: 0\n/);
    expect(outcome.output).not.toContain('private');
  });

  it('cannot reach services on the host loopback, Postgres or HTTP', async () => {
    const pg = new URL(inject('databaseUrl'));
    const pgPort = pg.port || '5432';
    const unsandboxed = await run(`curl -sS -m 3 http://127.0.0.1:${httpPort}/`, { sandbox: 'unsandboxed' });
    expect(unsandboxed.output).toContain('host service'); // the service is there to be reached
    const connect = (port: string | number) => `node -e "require('net').connect(${port}, '127.0.0.1').on('error', e => console.log('node', e.code)).on('connect', () => console.log('CONNECTED'))"`;
    const outcome = await run(
      `echo > /dev/tcp/127.0.0.1/${pgPort} && echo CONNECTED; echo > /dev/tcp/127.0.0.1/${httpPort} && echo CONNECTED; ` +
        `${connect(pgPort)}; ${connect(httpPort)}; curl -sS -m 3 http://127.0.0.1:${httpPort}/ && echo CONNECTED`,
    );
    expect(outcome.output).not.toMatch(/CONNECTED|host service/);
    expect(outcome.output.match(/node ECONNREFUSED/g)).toHaveLength(2);
  });

  it("with allowNetwork, through execute_command, still cannot reach the host's loopback or Postgres", async () => {
    const pgPort = new URL(inject('databaseUrl')).port || '5432';
    const outcome = await run(
      `curl -sS -m 3 http://127.0.0.1:${httpPort}/ && echo CONNECTED; echo > /dev/tcp/127.0.0.1/${pgPort} && echo CONNECTED; ip route show default`,
      { sandbox: { allowNetwork: true } },
    );
    expect(outcome.output).not.toMatch(/CONNECTED|host service/);
    // It does have a network of its own, with a way out (runtime/sandbox/network.test.ts reaches a stand-in internet).
    expect(outcome.output).toMatch(/^default via /m);
  });

  it('never shows the worker environment to the command', async () => {
    process.env.VIBN_SECRET_PLANT = 'planted-secret';
    try {
      const outcome = await executeTool({ root: worktree, limits: defaultToolLimits, sandbox: {} }, 'execute_command', {
        command: 'env; cat /proc/*/environ 2>/dev/null | tr "\\0" "\\n"',
      });
      expect(outcome.output).not.toContain('planted-secret');
      expect(outcome.output).toContain('HOME=/home/sandbox');
    } finally {
      delete process.env.VIBN_SECRET_PLANT;
    }
  });

  it('kills a command that ignores SIGTERM at its timeout, with everything it started', async () => {
    const marker = `vibn-marker-${randomUUID()}`;
    const started = Date.now();
    const outcome = await run(`trap '' TERM; (exec -a ${marker} sleep 60) & (setsid sleep 60 &); echo started; sleep 60`, { timeout: 1 });
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(outcome.output).toMatch(/^timed out after 1s[\s\S]*started/);
    expect(await hostProcessesWith(marker)).toBe(0);
  });

  it('kills the command when the call is stopped', async () => {
    const marker = `vibn-marker-${randomUUID()}`;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const ctx = { ...context(), signal: controller.signal };
    const outcome = await executeTool(ctx, 'execute_command', { command: `trap '' TERM; exec -a ${marker} sleep 60` });
    expect(outcome.output).toMatch(/^cancelled and killed/);
    expect(await hostProcessesWith(marker)).toBe(0);
  });

  it('caps endless output', async () => {
    const outcome = await run('yes vibn', { limits: { maxOutputBytes: 2_000 }, timeout: 1 });
    expect(outcome.output).toMatch(/^timed out after 1s/);
    expect(outcome.output.length).toBeLessThan(2_300);
  });

  it('stops a busy loop at its CPU time limit', async () => {
    const started = Date.now();
    const outcome = await run('while :; do :; done', { limits: { cpuSeconds: 1 }, timeout: 30 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(outcome.output).toMatch(/^exit code: 152\nsandbox: a process was stopped after 1 s of CPU time, its limit\n/);
  });

  const allocate2GB = `node -e "const a = []; for (let i = 0; i < 20; i++) a.push(Buffer.alloc(1e8, 1)); console.log('allocated 2 GB')"`;

  it.skipIf(!cgroups)('kills a memory hog at the memory limit of the whole command', async () => {
    const outcome = await run(allocate2GB, { limits: { memoryBytes: 512 * 1024 ** 2 } });
    expect(outcome.isError).toBe(true);
    expect(outcome.output).not.toContain('allocated 2 GB');
    expect(outcome.output).toContain("sandbox: a process was killed: the command's memory limit (512 MiB) was reached");
  });

  it('bounds each process by its address space, where cgroups are missing too', async () => {
    const outcome = await run(allocate2GB, { limits: { addressSpaceBytes: 1024 ** 3 } });
    expect(outcome.isError).toBe(true);
    expect(outcome.output).not.toContain('allocated 2 GB');
  });

  // As root without cgroups nothing caps processes (the kernel exempts root from RLIMIT_NPROC): not tried there.
  it.skipIf(!cgroups && process.getuid?.() === 0)('survives a fork bomb: the call returns and nothing is left', async () => {
    const marker = `vibn-marker-${randomUUID()}`;
    const started = Date.now();
    const bomb = run(`: ${marker}; bomb() { bomb | bomb & }; bomb; sleep 60`, { limits: { maxProcesses: 64 }, timeout: 3 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await execa('true')).exitCode).toBe(0); // the host still starts processes mid-bomb
    const outcome = await bomb;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(outcome.output).toMatch(/^timed out after 3s/);
    if (cgroups) expect(outcome.output).toContain('limit of 64 processes and threads was reached');
    expect(await hostProcessesWith(marker)).toBe(0);
  });

  it('refuses to run commands where bubblewrap is missing, naming the setting that allows it', async () => {
    const outcome = await run('echo ran > ran.txt', { sandbox: { bwrapPath: '/nonexistent/bwrap' } });
    expect(outcome.isError).toBe(true);
    expect(outcome.output).toContain('the bubblewrap sandbox is not available');
    expect(outcome.output).toContain('VIBN_UNSANDBOXED=1');
    expect(await exists(path.join(worktree, 'ran.txt'))).toBe(false);
  });
});
