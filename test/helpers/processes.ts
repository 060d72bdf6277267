import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';

/** Whether any process's command line holds `marker`. */
export function running(marker: string): boolean {
  try {
    execFileSync('pgrep', ['-f', marker]);
    return true;
  } catch {
    return false;
  }
}

/** A number to put in a command line (`sleep <marker>`), to find its process later. */
export const marker = () => String(randomInt(10_000_000, 99_999_999));

/** How a child process ended, whether it has already or will. */
export const exitOf = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
