import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cgroupParents, createCommandCgroup } from './cgroup.js';

// Only where the worker may make cgroup v1 memory and pids groups (root on our machines); elsewhere the
// sandbox falls back to rlimits and createCommandCgroup says so by returning undefined.
const parents = await cgroupParents();

describe.skipIf(!parents)('command cgroup', () => {
  it('caps the processes of what runs inside, reports it, and is removed afterwards', async () => {
    const cgroup = await createCommandCgroup({ memoryBytes: 256 * 1024 ** 2, maxProcesses: 8 });
    if (!cgroup) throw new Error('no cgroup although the parents are writable');
    const script = 'for i in $(seq 20); do sleep 1 & done 2>/dev/null; wait';
    const run = await execa(cgroup.enter[0] as string, [...cgroup.enter.slice(1), 'bash', '-c', script], { reject: false, timeout: 20_000 });
    // bash gives up on a fork that keeps failing; what matters is that the cap held and is reported.
    expect(run.timedOut).toBe(false);
    expect(await cgroup.limitsHit()).toEqual({ memory: false, processes: true });
    const dirs = cgroup.enter.slice(-2).map((procs) => path.dirname(procs));
    await cgroup.remove();
    for (const dir of dirs) await expect(fs.stat(dir)).rejects.toThrow(/ENOENT/);
  });
});
