import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { groupRunning, isRunning } from './process-state.js';

const started: Array<{ kill(signal?: NodeJS.Signals): boolean }> = [];
afterEach(() => {
  for (const p of started.splice(0)) p.kill('SIGKILL');
});

/**
 * A process group whose leader (`sleep 30`, exec'd over the shell) never reaps its own exited child: that
 * child stays a zombie, as orphans do under a PID 1 that does not reap.
 */
async function groupWithZombie() {
  const leader = execa('bash', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { detached: true, reject: false });
  started.push(leader);
  const zombie = await new Promise<number>((resolve) => leader.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  for (let i = 0; i < 50 && (await isRunning(zombie)); i++) await new Promise((r) => setTimeout(r, 20));
  return { leader, zombie };
}

describe('process state', () => {
  it('counts a zombie as ended, though it can still be signalled', async () => {
    const { leader, zombie } = await groupWithZombie();
    expect(() => process.kill(zombie, 0)).not.toThrow();
    expect(await isRunning(zombie)).toBe(false);
    expect(await isRunning(leader.pid!)).toBe(true);
  });

  it('says a group runs while a member does, and not once only zombies are left', async () => {
    const { leader } = await groupWithZombie();
    expect(await groupRunning(leader.pid!)).toBe(true);
    leader.kill('SIGKILL');
    await leader;
    expect(await groupRunning(leader.pid!)).toBe(false);
    expect(await isRunning(leader.pid!)).toBe(false);
  });
});
