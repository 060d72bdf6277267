/**
 * What is running on this machine, read from /proc: the children of a process, whether a set of pids is gone,
 * and which processes still work inside the suite's state folder after a request ended (orphans).
 */
import fs from 'node:fs/promises';
import { readStat } from '../../lib/process-state.js';

type Proc = { pid: number; ppid: number; cmdline: string; cwd: string; state: string };

async function readProc(pid: number): Promise<Proc | undefined> {
  const stat = await readStat(pid);
  const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (!stat || cmdline === undefined) return undefined; // gone meanwhile
  const cwd = await fs.readlink(`/proc/${pid}/cwd`).catch(() => '');
  return { pid, state: stat.state, ppid: stat.ppid, cmdline: cmdline.split('\0').join(' ').trim(), cwd };
}

export async function listProcesses(): Promise<Proc[]> {
  const pids = (await fs.readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const procs = await Promise.all(pids.map(readProc));
  return procs.filter((p): p is Proc => p !== undefined && p.state !== 'Z');
}

/** Direct children of `pid`, or (`recursive`) every descendant. */
export async function childrenOf(pid: number, recursive = false): Promise<number[]> {
  const procs = await listProcesses();
  const out: number[] = [];
  let frontier = [pid];
  while (frontier.length) {
    const next = procs.filter((p) => frontier.includes(p.ppid)).map((p) => p.pid);
    out.push(...next);
    frontier = recursive ? next : [];
  }
  return out;
}

/** Waits until none of `pids` is alive (zombies count as gone). */
export async function waitUntilGone(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = (await listProcesses()).filter((p) => pids.includes(p.pid));
    if (live.length === 0) return;
    if (Date.now() > deadline) throw new Error(`still running after ${timeoutMs} ms: ${live.map((p) => `${p.pid} ${p.cmdline}`).join('; ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Processes that run inside (cwd) or name (argv) one of `dirs`, apart from `except`: after a request has
 * ended nothing should: no sandboxed command, git, deploy script or worker child left behind.
 */
export async function processesIn(dirs: string[], except: number[] = []): Promise<string[]> {
  const mine = process.pid;
  return (await listProcesses())
    .filter((p) => p.pid !== mine && !except.includes(p.pid))
    .filter((p) => dirs.some((d) => p.cwd.startsWith(d) || p.cmdline.includes(d)))
    .map((p) => `${p.pid} (ppid ${p.ppid}, cwd ${p.cwd}): ${p.cmdline.slice(0, 200)}`);
}
