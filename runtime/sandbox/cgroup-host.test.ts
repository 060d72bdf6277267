/**
 * Finding this process's cgroups from /proc/self/cgroup and /proc/self/mountinfo, for the layouts hosts
 * have: v1 (with the unified mount beside it, as here), pure v2, hybrid with the controllers on v2, and a
 * mount showing only part of the hierarchy (a container). The v2 cgroup.controllers files are read from a
 * stand-in folder, since this machine's kernel keeps the controllers on v1.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateCgroups, parseCgroupMounts, parseOwnCgroups, SERVER_LEAF } from './cgroup-host.js';

const v1Cgroup = ['9:name=systemd:/', '8:pids:/', '4:memory:/svc/a', '1:cpu,cpuacct:/', '0::/'].join('\n');

function v1Mountinfo(unified: string): string {
  return [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct',
    '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
    `41 31 0:38 / ${unified} rw,relatime - cgroup2 cgroup2 rw`,
  ].join('\n');
}

describe('finding the cgroups', () => {
  let standIn: string;
  beforeAll(async () => {
    standIn = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-cgroupfs-'));
  });
  afterAll(async () => {
    await fs.rm(standIn, { recursive: true, force: true });
  });

  async function unifiedOffering(dir: string, controllers: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'cgroup.controllers'), `${controllers}\n`);
  }

  it('reads /proc/self/cgroup, comounted controllers and the v2 line included', () => {
    const own = parseOwnCgroups(v1Cgroup);
    expect(own.get('memory')).toBe('/svc/a');
    expect(own.get('cpu')).toBe('/');
    expect(own.get('cpuacct')).toBe('/');
    expect(own.get('')).toBe('/');
  });

  it('reads cgroup mounts from mountinfo, with optional fields and escaped paths', () => {
    const mounts = parseCgroupMounts(`${v1Mountinfo('/sys/fs/cgroup/unified')}\n50 31 0:40 /x /mnt/with\\040space rw - cgroup2 cgroup2 rw`);
    expect(mounts).toContainEqual({ type: 'cgroup', root: '/', mountPoint: '/sys/fs/cgroup/cpu,cpuacct', controllers: ['rw', 'cpu', 'cpuacct'] });
    expect(mounts).toContainEqual({ type: 'cgroup2', root: '/x', mountPoint: '/mnt/with space', controllers: [] });
    expect(mounts.some((m) => m.mountPoint === '/sys/fs/cgroup')).toBe(false);
  });

  it('takes v1 on a hybrid host whose unified mount holds none of the controllers (this machine)', async () => {
    const unified = path.join(standIn, 'hybrid-unified');
    await unifiedOffering(unified, 'hugetlb');
    expect(await locateCgroups({ procSelfCgroup: v1Cgroup, mountinfo: v1Mountinfo(unified) })).toEqual({
      host: { version: 1, own: { memory: '/sys/fs/cgroup/memory/svc/a', pids: '/sys/fs/cgroup/pids', cpu: '/sys/fs/cgroup/cpu,cpuacct' } },
    });
  });

  it('takes v2 where the unified cgroup offers memory, pids and cpu, and counts the server leaf as its parent', async () => {
    const root = path.join(standIn, 'pure-v2');
    await unifiedOffering(path.join(root, 'system.slice/vibn.service'), 'cpuset cpu io memory hugetlb pids rdma misc');
    await unifiedOffering(path.join(root, 'system.slice/vibn.service', SERVER_LEAF), 'cpuset cpu io memory hugetlb pids rdma misc');
    const mountinfo = `30 23 0:27 / ${root} rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot`;
    const dir = path.join(root, 'system.slice/vibn.service');
    const expected = { host: { version: 2, own: { memory: dir, pids: dir, cpu: dir } } };
    expect(await locateCgroups({ procSelfCgroup: '0::/system.slice/vibn.service\n', mountinfo })).toEqual(expected);
    expect(await locateCgroups({ procSelfCgroup: `0::/system.slice/vibn.service/${SERVER_LEAF}\n`, mountinfo })).toEqual(expected);
  });

  it('takes v2 at the hybrid unified mount when the controllers are there, and maps a mount of part of the tree', async () => {
    const unified = path.join(standIn, 'hybrid-with-controllers');
    await unifiedOffering(path.join(unified, 'app'), 'cpu memory pids');
    const mountinfo = v1Mountinfo(unified).replace(`41 31 0:38 / ${unified}`, `41 31 0:38 /docker/c1 ${unified}`);
    const found = await locateCgroups({ procSelfCgroup: '4:memory:/docker/c1/app\n0::/docker/c1/app', mountinfo });
    expect(found).toEqual({ host: { version: 2, own: { memory: path.join(unified, 'app'), pids: path.join(unified, 'app'), cpu: path.join(unified, 'app') } } });
  });

  it('says what is missing where neither version has the controllers', async () => {
    const unified = path.join(standIn, 'bare-unified');
    await unifiedOffering(unified, 'cpu io');
    const mountinfo = `41 31 0:38 / ${unified} rw,relatime - cgroup2 cgroup2 rw\n35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory`;
    expect(await locateCgroups({ procSelfCgroup: '4:memory:/\n0::/', mountinfo })).toEqual({
      missing: `cgroup v2 at ${unified} does not offer memory, pids to /; cgroup v1 has no pids, cpu hierarchy mounted`,
    });
    expect(await locateCgroups({ procSelfCgroup: '', mountinfo: '' })).toEqual({ missing: 'no cgroup v1 or v2 hierarchy is mounted' });
  });
});
