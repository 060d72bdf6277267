/**
 * STAND-IN, NOT THE KERNEL: the cgroup v2 path run against a folder laid out like cgroupfs, because this
 * machine's kernel keeps memory, pids and cpu on v1 (a second cgroup2 mount offers only hugetlb). It shows
 * which files are written with which values, that one cgroup is joined, how the counters are read and that
 * the folders go; it cannot show the kernel enforcing anything. Where the kernel would act (interface files
 * in new folders, counters, dropping the files on rmdir) the test does it by hand, and says so.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BoundsUnavailableError } from './bounds-unavailable.js';
import { createCommandCgroup } from './cgroup.js';
import type { CgroupHost } from './cgroup-host.js';

const MiB = 1024 ** 2;

describe('cgroup v2 against a stand-in cgroupfs folder (not a real kernel)', () => {
  let root: string;
  let own: string;
  let host: CgroupHost;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-cgroup2-standin-'));
    own = path.join(root, 'system.slice', 'vibn.service');
    await fs.mkdir(own, { recursive: true });
    await fs.writeFile(path.join(own, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
    await fs.writeFile(path.join(own, 'cgroup.subtree_control'), '\n');
    host = { version: 2, own: { memory: own, pids: own, cpu: own } };
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  const read = (...parts: string[]) => fs.readFile(path.join(...parts), 'utf8');

  it('writes the project totals and the command caps in v2 terms, passes the controllers down, and joins one cgroup', async () => {
    const cgroup = await createCommandCgroup({
      project: 'p1',
      limits: { memoryBytes: 256 * MiB, maxProcesses: 8 },
      projectLimits: { memoryBytes: 1024 * MiB, maxProcesses: 100, cpuWeight: 300 },
      host,
    });
    if (!cgroup) throw new Error('no cgroup made in the stand-in');
    expect(cgroup.version).toBe(2);
    const project = path.join(own, 'vibn', 'p1');
    const [leafName] = (await fs.readdir(project, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    const leaf = path.join(project, leafName!);

    // Controllers are enabled down to the project, whose children are the commands.
    for (const dir of [own, path.join(own, 'vibn'), project]) expect(await read(dir, 'cgroup.subtree_control')).toBe('+memory +pids +cpu');
    expect(await read(project, 'memory.max')).toBe(String(1024 * MiB));
    expect(await read(project, 'pids.max')).toBe('100');
    expect(await read(project, 'cpu.weight')).toBe('300');
    expect(await read(leaf, 'memory.max')).toBe(String(256 * MiB));
    expect(await read(leaf, 'pids.max')).toBe('8');

    // On v2 all controllers share one folder: the command joins one cgroup.
    expect(cgroup.enter.filter((arg) => arg.endsWith('cgroup.procs'))).toEqual([path.join(leaf, 'cgroup.procs')]);
    const [file, ...args] = [...cgroup.enter, 'sh', '-c', 'echo $$'];
    const run = await execa(file!, args);
    expect((await read(leaf, 'cgroup.procs')).trim()).toBe(run.stdout.trim());

    // The kernel's part, by hand: the project's limit was reached (its peak at its total) and a process of
    // this command, which stayed well under its own cap, was OOM-killed.
    await fs.writeFile(path.join(leaf, 'memory.events'), 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 1\n');
    await fs.writeFile(path.join(leaf, 'memory.peak'), String(90 * MiB));
    await fs.writeFile(path.join(project, 'memory.peak'), String(1024 * MiB));
    await fs.writeFile(path.join(leaf, 'pids.events'), 'max 0\n');
    expect(await cgroup.limitsHit()).toEqual({ memory: true, processes: false, byProject: { memory: true, processes: false } });

    // The kernel's part again: cgroupfs drops a cgroup's interface files on rmdir, a plain folder does not.
    for (const dir of [leaf, project, path.join(own, 'vibn')]) {
      for (const entry of await fs.readdir(dir, { withFileTypes: true })) if (entry.isFile()) await fs.rm(path.join(dir, entry.name));
    }
    await cgroup.remove();
    await expect(fs.stat(path.join(own, 'vibn'))).rejects.toThrow(/ENOENT/);
  });

  it('counts a refused fork in the project on Linux 6.13+ (where v2 counts it in the refusing cgroup) as the project total', async () => {
    const cgroup = await createCommandCgroup({ project: 'p2', limits: { memoryBytes: 64 * MiB, maxProcesses: 50 }, host });
    const project = path.join(own, 'vibn', 'p2');
    const leaf = path.dirname(cgroup!.enter.at(-1)!);
    await fs.writeFile(path.join(project, 'pids.events'), 'max 3\n');
    await fs.writeFile(path.join(leaf, 'pids.peak'), '12');
    expect(await cgroup!.limitsHit()).toEqual({ memory: false, processes: true, byProject: { memory: false, processes: true } });
  });

  it('refuses, naming the file, when a controller cannot be passed down; with the opt-out returns nothing', async () => {
    // A folder where the kernel has cgroup.subtree_control: any write to it fails, as a refused one would.
    await fs.rm(path.join(own, 'cgroup.subtree_control'));
    await fs.mkdir(path.join(own, 'cgroup.subtree_control'));
    const options = { project: 'p3', limits: { memoryBytes: 64 * MiB, maxProcesses: 8 }, host };
    const error = await createCommandCgroup(options).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(BoundsUnavailableError);
    expect((error as Error).message).toMatch(/enabling memory, pids, cpu in .*cgroup\.subtree_control failed \(EISDIR\)/);
    expect(await createCommandCgroup({ ...options, unbounded: true })).toBeUndefined();
    await expect(fs.stat(path.join(own, 'vibn'))).rejects.toThrow(/ENOENT/);
  });
});
