/**
 * The environment a command gets when the caller gives none. Built from scratch, never copied from the
 * worker: the worker holds database URLs and API keys that an agent's command must not see or print.
 */
import os from 'node:os';

/** A small environment for non-interactive builds: a PATH to find tools, a HOME for their caches, UTF-8. */
export function minimalCommandEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: os.homedir(),
    LANG: 'C.UTF-8',
    // No one can answer a prompt: tools that check CI or a terminal stop asking and stop drawing colors.
    CI: 'true',
    TERM: 'dumb',
    NO_COLOR: '1',
    GIT_TERMINAL_PROMPT: '0',
  };
}
