/**
 * Ending everything a terminal started. The PTY's first process leads a session of its own (node-pty makes
 * one per terminal), and whatever the shell runs stays in that session unless it calls setsid; the sandbox's
 * PID namespace takes those with it too, since the kernel kills a namespace when its init dies.
 */
import fs from 'node:fs';
import { statFields } from '../../lib/process-state.js';

/** The session id field of a /proc/<pid>/stat line, or undefined when it cannot be read. */
export function sessionOfStat(stat: string): number | undefined {
  const session = Number(statFields(stat)[3]);
  return Number.isInteger(session) ? session : undefined;
}

/** The processes in session `sid`, its leader excluded. */
export function sessionMembers(sid: number): number[] {
  const members: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === sid) continue;
    try {
      if (sessionOfStat(fs.readFileSync(`/proc/${name}/stat`, 'utf8')) === sid) members.push(pid);
    } catch {
      // Gone while we looked.
    }
  }
  return members;
}

const kill = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
};

/**
 * SIGKILLs the members of session `sid` but not its leader: bwrap, as the leader, then reaps the namespace's
 * init and exits by itself, rather than leaving the init for the host's init to reap (it would linger in the
 * terminal's cgroup meanwhile).
 */
export function killSessionMembers(sid: number): void {
  for (const pid of sessionMembers(sid)) kill(pid, 'SIGKILL');
}

/** SIGKILLs the session leader's process group: the last step, for a leader that did not exit by itself. */
export function killLeader(sid: number): void {
  kill(-sid, 'SIGKILL');
  kill(sid, 'SIGKILL');
}
