import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isRunning } from '../../lib/process-state.js';
import { killLeader, killSessionMembers, sessionMembers, sessionOfStat } from './kill-session.js';

async function until(probe: () => boolean | Promise<boolean>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('ending a terminal session', () => {
  it('reads the session id of a stat line, whatever the command name holds', () => {
    expect(sessionOfStat('4242 (sleep) S 1 4242 4240 0 -1 4194304')).toBe(4240);
    expect(sessionOfStat('77 (a) b (c) R 1 70 69 0 -1')).toBe(69);
  });

  it('kills every process of the session, background jobs included, then the leader', async () => {
    // A session leader with two background jobs, as a shell with `sleep &` twice is.
    const leader = spawn('sh', ['-c', 'sleep 1001 & sleep 1002 & wait'], { detached: true, stdio: 'ignore' });
    const sid = leader.pid!;
    const exited = new Promise((resolve) => leader.once('exit', resolve));
    try {
      await until(() => sessionMembers(sid).length === 2);
      const members = sessionMembers(sid);
      killSessionMembers(sid);
      await until(async () => !(await Promise.all(members.map(isRunning))).some(Boolean));
      killLeader(sid);
      await exited;
      expect(sessionMembers(sid)).toEqual([]);
    } finally {
      killLeader(sid);
    }
  });
});
