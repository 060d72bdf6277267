/**
 * One interactive shell on a PTY, in the terminal's worktree and (unless the operator said otherwise) in the
 * agents' bubblewrap sandbox, with the cgroup caps where the machine allows them. `close()` ends everything
 * the shell started and removes the cgroup; it is safe to call more than once and after the shell exited.
 */
import fs from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import pty from 'node-pty';
import { createCommandCgroup, type CommandCgroup } from '../sandbox/cgroup.js';
import { assertReady, type SandboxOptions } from '../sandbox/index.js';
import { killLeader, killSessionMembers } from './kill-session.js';
import { shellCommand, shellEnv, TERMINAL_LIMITS } from './shell-command.js';

export type StartShellInput = {
  worktree: string;
  sandbox: SandboxOptions | 'unsandboxed';
  /** The clone's `.git`, shown read-only in the sandbox so git works in the worktree. */
  gitCommonDir?: string;
  cols: number;
  rows: number;
};

/** A running shell. Output arrives through `onData` until `onExit` fires, once. */
export type PtyShell = {
  /** The PTY's first process (bwrap, or the shell itself when unsandboxed); the session it leads. */
  readonly pid: number;
  onData(listener: (data: string) => void): void;
  /** `code` is null when a signal ended the shell. */
  onExit(listener: (code: number | null) => void): void;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** Stops reading the PTY, so a shell that prints faster than the client reads blocks on its writes. */
  pause(): void;
  resume(): void;
  /** Kills the shell and everything it started, then removes its cgroup. Resolves once all is gone. */
  close(): Promise<void>;
};

// How long the session leader gets to exit after its members are killed, and the leader after its own kill.
const LEADER_GRACE_MS = 500;
const EXIT_WAIT_MS = 3_000;

/** Starts the shell; throws SandboxUnavailableError where it should be sandboxed and bubblewrap cannot run. */
export async function startShell(input: StartShellInput): Promise<PtyShell> {
  let cgroup: CommandCgroup | undefined;
  if (input.sandbox !== 'unsandboxed') {
    await assertReady(input.sandbox);
    if (input.sandbox.homeDir) await fs.mkdir(input.sandbox.homeDir, { recursive: true });
    cgroup = await createCommandCgroup({ project: input.sandbox.project ?? 'default', limits: TERMINAL_LIMITS, unbounded: input.sandbox.unbounded });
  }
  const [file, ...args] = shellCommand({ worktree: input.worktree, sandbox: input.sandbox, gitCommonDir: input.gitCommonDir, prefix: cgroup?.enter });
  let term: pty.IPty;
  try {
    term = pty.spawn(file!, args, {
      name: 'xterm-256color',
      cols: input.cols,
      rows: input.rows,
      cwd: input.worktree,
      env: shellEnv(input.sandbox === 'unsandboxed' ? undefined : input.sandbox.homeDir),
    });
  } catch (err) {
    await cgroup?.remove();
    throw err;
  }

  let exited = false;
  const exit = new Promise<number | null>((resolve) =>
    term.onExit(({ exitCode, signal }) => {
      exited = true;
      resolve(signal ? null : exitCode);
    }),
  );
  let closing: Promise<void> | undefined;

  async function end() {
    // Also after the shell exited: a job it left running in the background is still in its session. The
    // session's id cannot name another session meanwhile: Linux keeps a pid in use while it is anyone's sid.
    killSessionMembers(term.pid);
    if (!exited) {
      await Promise.race([exit, delay(LEADER_GRACE_MS)]);
      if (!exited) killLeader(term.pid);
      await Promise.race([exit, delay(EXIT_WAIT_MS)]);
    }
    // The cgroup's own kill catches anything that left the session but stayed in the cgroup.
    await cgroup?.remove();
  }

  return {
    pid: term.pid,
    onData: (listener) => void term.onData(listener),
    onExit: (listener) => void exit.then(listener),
    write: (data) => {
      if (!exited) term.write(data);
    },
    resize: (cols, rows) => {
      if (!exited) term.resize(cols, rows);
    },
    pause: () => term.pause(),
    resume: () => term.resume(),
    close: () => (closing ??= end()),
  };
}
