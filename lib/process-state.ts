import fs from 'node:fs/promises';

/**
 * Whether processes still run, read from /proc. `kill(pid, 0)` alone also answers yes for a zombie, and a
 * container's PID 1 may never reap the orphans it inherits (a killed deploy command's children, say), so a
 * process counts as running only while its state is not Z.
 */

type Stat = { state: string; pgrp: number };

async function readStat(pid: number): Promise<Stat | undefined> {
  const text = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  // The command name is in parentheses and may hold spaces: the fields that follow start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, pgrp: Number(fields[2]) };
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
