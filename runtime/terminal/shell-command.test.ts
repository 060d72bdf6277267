import { sandboxUser } from '../sandbox/sandbox-user.js';
import { describe, expect, it } from 'vitest';
import { interactiveShell, shellCommand, shellEnv } from './shell-command.js';

describe('the terminal shell command', () => {
  const worktree = '/srv/vibn/workspaces/p1/terminals/main';

  it('is the bare interactive shell when the operator turned the sandbox off', () => {
    expect(shellCommand({ worktree, sandbox: 'unsandboxed' })).toEqual(interactiveShell());
  });

  it("runs the shell in the agents' sandbox, keeping the PTY as its controlling terminal", () => {
    const argv = shellCommand({ worktree, sandbox: { homeDir: '/srv/vibn/workspaces/p1/cache/home' } });
    // bwrap starts as the unprivileged sandbox user where VIBN is root.
    expect(argv[0]).toBe(sandboxUser() ? 'setpriv' : 'bwrap');
    expect(argv).toContain('bwrap');
    expect(argv).toContain('--unshare-all');
    expect(argv).not.toContain('--share-net');
    expect(argv).not.toContain('--new-session');
    expect(argv.slice(-2)).toEqual(interactiveShell());
    // Under the same rlimits wrapper as agent commands, with a longer CPU allowance.
    expect(argv).toContain('prlimit');
    expect(argv).toContain('--cpu=3600:3605');
  });

  it('keeps the network only for a project that allows it', () => {
    expect(shellCommand({ worktree, sandbox: { allowNetwork: true } })).toContain('--share-net');
  });

  it("shows the clone's .git read-only, after /tmp and the worktree are mounted and before the root turns read-only", () => {
    const git = '/tmp/state/workspaces/p1/repo/.git';
    const argv = shellCommand({ worktree: '/tmp/state/workspaces/p1/terminals/main', sandbox: {}, gitCommonDir: git });
    const bind = argv.findIndex((a, i) => a === '--ro-bind' && argv[i + 1] === git && argv[i + 2] === git);
    expect(bind).toBeGreaterThan(argv.findIndex((a, i) => a === '--tmpfs' && argv[i + 1] === '/tmp'));
    expect(bind).toBeGreaterThan(argv.indexOf('/tmp/state/workspaces/p1/terminals/main'));
    expect(bind).toBeLessThan(argv.indexOf('--remount-ro'));
  });

  it('falls back to sh where bash is missing', () => {
    expect(interactiveShell(() => false)).toEqual(['/bin/sh', '-i']);
  });

  it('gives the shell a small environment of its own, nothing of the API process', () => {
    process.env.VIBN_TEST_SECRET = 'must-not-leak';
    try {
      const env = shellEnv(undefined);
      expect(Object.keys(env).sort()).toEqual(['HOME', 'LANG', 'PATH', 'PS1', 'TERM']);
      expect(env.TERM).toBe('xterm-256color');
      expect(Object.values(env)).not.toContain('must-not-leak');
    } finally {
      delete process.env.VIBN_TEST_SECRET;
    }
  });
});
