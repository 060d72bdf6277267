/**
 * Project and command cgroups on this machine's kernel (cgroup v1 on our machines: the v2 path is tried
 * against a stand-in folder in cgroup-v2-standin.test.ts). Real processes, real caps, real kernel counters.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { boundsHealth } from './bounds-health.js';
import { BoundsUnavailableError, UNBOUNDED_SETTING } from './bounds-unavailable.js';
import { cgroupParents, createCommandCgroup, type CommandCgroup } from './cgroup.js';

// Only where this process may make cgroups with memory, pids and cpu (root on our machines).
const host = await cgroupParents();
const MiB = 1024 ** 2;

/** A project key no other test or server uses. */
const projectKey = () => `test-${randomUUID()}`;

/** Runs `argv` inside the cgroup. */
function runIn(cgroup: CommandCgroup, argv: string[]) {
  const [file, ...args] = [...cgroup.enter, ...argv];
  return execa(file!, args, { reject: false, timeout: 30_000 });
}

/** The project's folders, one per hierarchy (one on v2). */
function projectDirs(key: string): string[] {
  return [...new Set(Object.values(host!.own).map((own) => path.join(own, 'vibn', key)))];
}

async function gone(dir: string): Promise<boolean> {
  return fs.stat(dir).then(() => false, () => true);
}

/** Run by another node process: one command cgroup holding 16 processes, removed when stdin ends. */
const holdProcesses = `
import { spawn } from 'node:child_process';
import { createCommandCgroup } from ${JSON.stringify(path.join(import.meta.dirname, 'cgroup.ts'))};
const cgroup = await createCommandCgroup(JSON.parse(process.env.VIBN_TEST_CGROUP));
const script = 'i=0; while [ $i -lt 15 ]; do sleep 60 & i=$((i + 1)); done; echo ready; wait';
spawn(cgroup.enter[0], [...cgroup.enter.slice(1), '/bin/sh', '-c', script], { stdio: ['ignore', 'inherit', 'ignore'] });
process.stdin.resume();
process.stdin.on('end', async () => {
  await cgroup.remove();
  process.exit(0);
});
`;

const allocate400MB = `const a = []; for (let i = 0; i < 4; i++) a.push(Buffer.alloc(1e8, 1)); console.log('allocated')`;

describe.skipIf(!host)(`command cgroups under project cgroups, on this kernel (cgroup v${host?.version})`, () => {
  const made: CommandCgroup[] = [];
  afterAll(async () => {
    for (const cgroup of made) await cgroup.remove();
  });

  async function create(project: string, limits: { memoryBytes: number; maxProcesses: number }, projectLimits?: { memoryBytes: number; maxProcesses: number }) {
    const cgroup = await createCommandCgroup({ project, limits, projectLimits: projectLimits && { ...projectLimits, cpuWeight: 100 } });
    if (!cgroup) throw new Error('no cgroup although this process may make them');
    made.push(cgroup);
    return cgroup;
  }

  it("caps a command's own processes, reports it as the command's, and removes its cgroups and the project's", async () => {
    const project = projectKey();
    const cgroup = await create(project, { memoryBytes: 256 * MiB, maxProcesses: 8 });
    const run = await runIn(cgroup, ['bash', '-c', 'for i in $(seq 20); do sleep 1 & done 2>/dev/null; wait']);
    // bash gives up on a fork that keeps failing; what matters is that the cap held and is reported.
    expect(run.timedOut).toBe(false);
    expect(await cgroup.limitsHit()).toEqual({ memory: false, processes: true, byProject: { memory: false, processes: false } });
    await cgroup.remove();
    for (const dir of projectDirs(project)) expect(await gone(dir)).toBe(true);
  });

  it("kills a command that goes over its project's memory total while under its own cap, and says it was the project's", async () => {
    const project = projectKey();
    const overProject = await create(project, { memoryBytes: 1024 * MiB, maxProcesses: 64 }, { memoryBytes: 160 * MiB, maxProcesses: 512 });
    const run = await runIn(overProject, ['node', '-e', allocate400MB]);
    expect(run.stdout).not.toContain('allocated');
    expect(run.signal).toBe('SIGKILL');
    expect(await overProject.limitsHit()).toEqual({ memory: true, processes: false, byProject: { memory: true, processes: false } });
    await overProject.remove();

    // The same allocation over the command's own cap, with room in the project, is the command's.
    const overOwn = await create(project, { memoryBytes: 160 * MiB, maxProcesses: 64 }, { memoryBytes: 1024 * MiB, maxProcesses: 512 });
    const second = await runIn(overOwn, ['node', '-e', allocate400MB]);
    expect(second.stdout).not.toContain('allocated');
    expect(await overOwn.limitsHit()).toEqual({ memory: true, processes: false, byProject: { memory: false, processes: false } });
    await overOwn.remove();
    for (const dir of projectDirs(project)) expect(await gone(dir)).toBe(true);
  });

  it("stops two commands of one project, started by two processes (as the API's terminals and the worker's commands), at the project's process total", async () => {
    const project = projectKey();
    const limits = { memoryBytes: 256 * MiB, maxProcesses: 64 };
    const projectLimits = { memoryBytes: 1024 * MiB, maxProcesses: 20, cpuWeight: 100 };
    // Another node process makes its own command cgroup for the project and holds 16 processes in it (dash,
    // not bash: it gives up on the first refused fork instead of retrying for seconds), until told to stop.
    const other = execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', holdProcesses], {
      env: { VIBN_TEST_CGROUP: JSON.stringify({ project, limits, projectLimits }) },
      reject: false,
      timeout: 60_000,
    });
    const second = await create(project, limits, projectLimits);
    try {
      await new Promise<void>((resolve, reject) => {
        other.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
        void other.then((ended) => reject(new Error(`the other process ended before holding its processes: ${ended.stderr}`)));
      });
      // 16 of the 20 are the other process's command's: this one gets its shell and 3 more. Its sleeps let
      // go of its output, so the run ends when its shell does.
      const run = await runIn(second, ['/bin/sh', '-c', 'i=0; while [ $i -lt 10 ]; do sleep 60 >/dev/null 2>&1 & i=$((i + 1)); done; echo all started']);
      expect(run.stdout).not.toContain('all started');
      expect(await second.limitsHit()).toEqual({ memory: false, processes: true, byProject: { memory: false, processes: true } });
    } finally {
      await second.remove();
      other.stdin!.end();
      await other;
    }
    for (const dir of projectDirs(project)) expect(await gone(dir)).toBe(true);
  });

  it('gives each project its CPU weight', async () => {
    const project = projectKey();
    const cgroup = await createCommandCgroup({ project, limits: { memoryBytes: 64 * MiB, maxProcesses: 8 }, projectLimits: { memoryBytes: 64 * MiB, maxProcesses: 8, cpuWeight: 50 } });
    made.push(cgroup!);
    const [file, value] = host!.version === 1 ? ['cpu.shares', '512'] : ['cpu.weight', '50'];
    expect((await fs.readFile(path.join(host!.own.cpu, 'vibn', project, file), 'utf8')).trim()).toBe(value);
    await cgroup!.remove();
  });

  it('refuses when the kernel refuses a cap, naming the fix and the opt-out, and leaves no cgroup behind', async () => {
    const project = projectKey();
    const refused = { project, limits: { memoryBytes: 64 * MiB, maxProcesses: 8 }, projectLimits: { memoryBytes: 64 * MiB, maxProcesses: -5, cpuWeight: 100 } };
    const error = await createCommandCgroup(refused).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(BoundsUnavailableError);
    expect((error as BoundsUnavailableError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/writing -5 to .*pids\.max failed \(EINVAL\)/);
    expect((error as Error).message).toContain(`set ${UNBOUNDED_SETTING}=1`);
    for (const dir of projectDirs(project)) expect(await gone(dir)).toBe(true);

    // The operator's opt-out: the command runs without the cgroup, as before.
    expect(await createCommandCgroup({ ...refused, unbounded: true })).toBeUndefined();
    for (const dir of projectDirs(project)) expect(await gone(dir)).toBe(true);
  });

  it('says in its health probe that bounds are applied', async () => {
    expect(await boundsHealth({ unbounded: false })).toEqual({ ok: true, cgroup: `v${host!.version}` });
  });
});

describe('bounds where no cgroup can be made', () => {
  let file: string;
  afterAll(async () => {
    if (file) await fs.rm(path.dirname(file), { recursive: true, force: true });
  });

  it('refuses commands, and runs them unbounded only with the opt-out; the health probe says which', async () => {
    // An own cgroup under a regular file: no folder can be made there, as where cgroups are not writable.
    file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-cgroup-')), 'not-a-folder');
    await fs.writeFile(file, '');
    const own = path.join(file, 'own');
    const broken = { version: 1 as const, own: { memory: own, pids: own, cpu: own } };
    const limits = { memoryBytes: 64 * MiB, maxProcesses: 8 };

    await expect(createCommandCgroup({ project: 'p', limits, host: broken })).rejects.toThrow(BoundsUnavailableError);
    await expect(createCommandCgroup({ project: 'p', limits, host: broken })).rejects.toThrow(/making .*not-a-folder.* failed \(ENOTDIR\)/);
    expect(await createCommandCgroup({ project: 'p', limits, host: broken, unbounded: true })).toBeUndefined();

    const missing = await boundsHealth({ unbounded: false, host: broken });
    expect(missing).toMatchObject({ ok: false, setting: `${UNBOUNDED_SETTING}=1`, reason: expect.stringContaining('ENOTDIR') });
    expect(await boundsHealth({ unbounded: true, host: broken })).toMatchObject({ ok: true, unbounded: true });
  });

  it('refuses a project key that is not a plain name, before touching any cgroup', async () => {
    await expect(createCommandCgroup({ project: '../escape', limits: { memoryBytes: MiB, maxProcesses: 1 } })).rejects.toThrow(TypeError);
  });
});
