import fs from 'node:fs/promises';

/**
 * Whether processes still run, read from /proc. `kill(pid, 0)` alone also answers yes for a zombie, and a
 * container's PID 1 may never reap the orphans it inherits (a killed deploy command's children, say), so a
 * process counts as running only while its state is not Z.
 */

/**
 * The fields of a /proc/<pid>/stat line after the command name (state, ppid, pgrp, session, …): the name sits
 * in parentheses and may itself hold spaces or parentheses, so they start after the last ')'.
 */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

export type ProcStat = { state: string; ppid: number; pgrp: number };

/** A process's state letter, parent and process group, or undefined once it is gone. */
export async function readStat(pid: number): Promise<ProcStat | undefined> {
  const text = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const [state, ppid, pgrp] = statFields(text);
  return { state: state!, ppid: Number(ppid), pgrp: Number(pgrp) };
}

function signalable(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch {
    return false;
  }
}

/** True while `pid` runs; a zombie nobody has reaped yet counts as ended. */
export async function isRunning(pid: number): Promise<boolean> {
  if (!signalable(pid)) return false;
  const stat = await readStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** True while any process of the group `pgid` runs (zombies aside). */
export async function groupRunning(pgid: number): Promise<boolean> {
  if (!signalable(-pgid)) return false;
  const pids = (await fs.readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  for (const pid of pids) {
    const stat = await readStat(pid);
    if (stat?.pgrp === pgid && stat.state !== 'Z') return true;
  }
  return false;
}
