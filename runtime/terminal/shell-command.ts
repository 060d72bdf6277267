/**
 * The argv and environment of the founder's interactive shell: the same bubblewrap sandbox and rlimits agent
 * commands run under, with two differences a person at a keyboard needs (each explained below).
 */
import fs from 'node:fs';
import path from 'node:path';
import { SANDBOX_HOME, wrapCommand, type SandboxLimits, type SandboxOptions } from '../sandbox/index.js';
import { defaultToolLimits } from '../tools/types.js';

/**
 * The shell's limits: an agent's, but with an hour of CPU time per process rather than ten minutes, since a
 * dev server or a watcher left running in a terminal is normal use. Memory and processes stay capped.
 */
export const TERMINAL_LIMITS: SandboxLimits = { ...defaultToolLimits, cpuSeconds: 3_600 };

export type ShellCommandInput = {
  /** The terminal's worktree: the shell starts there and may write only there (and in HOME, /tmp). */
  worktree: string;
  /** The sandbox, or `'unsandboxed'` where the operator turned it off. */
  sandbox: SandboxOptions | 'unsandboxed';
  /** The clone's `.git`, shown read-only so `git status`, `log` and `diff` work in the worktree. */
  gitCommonDir?: string;
  limits?: SandboxLimits;
  /** An argv run first, outside the sandbox (joining cgroups). */
  prefix?: readonly string[];
};

/** bash where the host (whose /usr the sandbox shows) has it, else the POSIX shell. */
export function interactiveShell(exists: (file: string) => boolean = fs.existsSync): string[] {
  return exists('/bin/bash') ? ['/bin/bash', '-i'] : ['/bin/sh', '-i'];
}

/** The argv that starts the interactive shell, sandboxed unless told otherwise. */
export function shellCommand(input: ShellCommandInput): string[] {
  const shell = interactiveShell();
  if (input.sandbox === 'unsandboxed') return shell;
  const argv = wrapCommand({ worktree: input.worktree, sandbox: input.sandbox, limits: input.limits ?? TERMINAL_LIMITS, prefix: input.prefix });
  // bwrap's --new-session keeps an agent's command off the worker's terminal (TIOCSTI). Here the terminal is
  // the session's own PTY, so what it could push there only reaches this same shell; without the new session
  // the shell keeps the PTY as its controlling terminal, and Ctrl-C stops the command rather than the shell.
  const args = argv.filter((arg) => arg !== '--new-session');
  if (input.gitCommonDir) {
    // After the /tmp tmpfs and the worktree are mounted (a state folder under /tmp would be hidden by the
    // tmpfs otherwise) and before the root is made read-only (mount points cannot be made after that).
    const at = args.indexOf('--remount-ro');
    if (at < 0) throw new Error('the sandbox arguments changed: no --remount-ro to bind the git folder before');
    args.splice(at, 0, '--ro-bind', input.gitCommonDir, input.gitCommonDir);
  }
  return [...args, ...shell];
}

/**
 * The shell's whole environment, built from nothing: the API process holds the database URL, the admin token
 * and model keys, none of which may reach a shell. Inside the sandbox bwrap sets HOME and TMPDIR again.
 */
export function shellEnv(homeDir: string | undefined): Record<string, string> {
  return {
    HOME: homeDir ?? SANDBOX_HOME,
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    TERM: 'xterm-256color',
    LANG: 'C.UTF-8',
    // The folder's name, not its path on the server.
    PS1: '\\W \\$ ',
  };
}

/** The clone's git folder, for a worktree made from `repo`. */
export const gitCommonDirOf = (repo: string) => path.join(repo, '.git');
