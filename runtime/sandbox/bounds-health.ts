/**
 * Whether commands get their cgroup bounds here, for the start message and /health: found by making a
 * probe project and command cgroup with real caps and removing them, so a refused write shows too.
 */
import { BOUNDS_FIX, BoundsUnavailableError, UNBOUNDED_SETTING } from './bounds-unavailable.js';
import { createCommandCgroup } from './cgroup.js';
import type { CgroupHost } from './cgroup-host.js';
import { probeCache } from './probe-cache.js';

/**
 * Bounds applied (on cgroup v1 or v2); missing but the operator opted out (commands run unbounded); or
 * missing, so commands are refused, with the reason, the fix and the opt-out setting.
 */
export type BoundsHealth =
  | { ok: true; cgroup: 'v1' | 'v2' }
  | { ok: true; unbounded: true; reason: string }
  | { ok: false; reason: string; fix: string; setting: string };

export type BoundsHealthOptions = {
  /** The operator's VIBN_UNBOUNDED. */
  unbounded: boolean;
  /** Where the cgroups are; this process's own by default. */
  host?: CgroupHost;
};

/** The probe's project: not a project id (those are UUIDs), so it never shares a real project's totals. */
const PROBE_PROJECT = 'vibn-bounds-probe';

type Probe = { version: 1 | 2 } | { reason: string };

// Keyed by the host's description: tests probe stand-in hosts beside the process's own.
const hosts = new Map<string, CgroupHost>();
const probeAt = probeCache((key) => probe(hosts.get(key)), (result: Probe) => 'version' in result);

/** Bounds as /health and the start report them. A working probe is remembered; a failed one for 30 s. */
export async function boundsHealth(options: BoundsHealthOptions): Promise<BoundsHealth> {
  const result = await probeOnce(options.host);
  if ('version' in result) return { ok: true, cgroup: result.version === 2 ? 'v2' : 'v1' };
  if (options.unbounded) return { ok: true, unbounded: true, reason: result.reason };
  return { ok: false, reason: result.reason, fix: BOUNDS_FIX, setting: `${UNBOUNDED_SETTING}=1` };
}

function probeOnce(host: CgroupHost | undefined): Promise<Probe> {
  const key = host ? JSON.stringify(host) : 'own';
  if (host) hosts.set(key, host);
  return probeAt(key);
}

async function probe(host: CgroupHost | undefined): Promise<Probe> {
  try {
    const cgroup = await createCommandCgroup({
      project: PROBE_PROJECT,
      limits: { memoryBytes: 64 * 1024 ** 2, maxProcesses: 8 },
      projectLimits: { memoryBytes: 64 * 1024 ** 2, maxProcesses: 8, cpuWeight: 100 },
      host,
    });
    await cgroup?.remove();
    if (!cgroup) throw new Error('unreachable: a probe without unbounded throws where bounds are missing');
    return { version: cgroup.version };
  } catch (error) {
    if (error instanceof BoundsUnavailableError) return { reason: error.reason };
    throw error;
  }
}
