import { describe, expect, it } from 'vitest';
import { bubblewrapArgs, SANDBOX_HOME } from './bubblewrap.js';

/** The arguments that follow `flag`, `count` of them, at its first occurrence. */
function after(args: string[], flag: string, count = 1): string[] {
  const at = args.indexOf(flag);
  return at === -1 ? [] : args.slice(at + 1, at + 1 + count);
}

/** Every [source, dest] bound with `flag`. */
function binds(args: string[], flag: string): Array<[string, string]> {
  return args.flatMap((arg, i) => (arg === flag ? [[args[i + 1] as string, args[i + 2] as string] as [string, string]] : []));
}

describe('bubblewrapArgs', () => {
  const worktree = '/srv/vibn/projects/p1/tasks/t1';

  it('drops every privilege and unshares the network by default', () => {
    const args = bubblewrapArgs({ worktree, options: {} });
    for (const flag of ['--unshare-all', '--unshare-user', '--disable-userns', '--new-session', '--die-with-parent']) {
      expect(args).toContain(flag);
    }
    expect(after(args, '--uid')).toEqual(['65534']);
    expect(after(args, '--gid')).toEqual(['65534']);
    expect(after(args, '--cap-drop')).toEqual(['ALL']);
    expect(args).not.toContain('--share-net');
  });

  it('keeps the network only when asked', () => {
    expect(bubblewrapArgs({ worktree, options: { allowNetwork: true } })).toContain('--share-net');
  });

  it('binds only the worktree read-write, its .git read-only, and makes the root read-only', () => {
    const args = bubblewrapArgs({ worktree, options: {} });
    expect(binds(args, '--bind')).toEqual([[worktree, worktree]]);
    expect(binds(args, '--ro-bind-try')).toContainEqual([`${worktree}/.git`, `${worktree}/.git`]);
    expect(after(args, '--remount-ro')).toEqual(['/']);
    expect(after(args, '--chdir')).toEqual([worktree]);
    // The .git cover must come after the worktree bind, or the worktree would be bound over it.
    expect(args.indexOf(`${worktree}/.git`)).toBeGreaterThan(args.indexOf('--bind'));
  });

  it('lets .git be written when asked, and never follows a .git symlink on the host', () => {
    expect(bubblewrapArgs({ worktree, options: { writableGitDir: true } })).not.toContain(`${worktree}/.git`);
    expect(bubblewrapArgs({ worktree, options: {}, gitDirIsSymlink: true })).not.toContain(`${worktree}/.git`);
  });

  it('shows the toolchain read-only and never all of /etc, /root or /proc/sys writable', () => {
    const args = bubblewrapArgs({ worktree, options: { readOnlyPaths: ['/opt/toolchain'] }, hostLinks: { '/bin': 'usr/bin' } });
    expect(binds(args, '--ro-bind')).toContainEqual(['/usr', '/usr']);
    expect(binds(args, '--ro-bind')).toContainEqual(['/proc/sys', '/proc/sys']);
    expect(after(args, '--symlink', 2)).toEqual(['usr/bin', '/bin']);
    const readOnly = binds(args, '--ro-bind-try').map(([source]) => source);
    expect(readOnly).toContain('/etc/ssl/certs');
    expect(readOnly).toContain('/opt/toolchain');
    for (const secret of ['/etc', '/etc/shadow', '/etc/ssl', '/etc/ssl/private', '/etc/gitconfig', '/etc/npmrc', '/root', '/']) {
      expect(readOnly).not.toContain(secret);
    }
  });

  it('gives HOME a tmpfs, or the cache folder it is given', () => {
    const fresh = bubblewrapArgs({ worktree, options: { tmpBytes: 1024 } });
    expect(after(fresh, '--setenv', 2)).toEqual(['HOME', SANDBOX_HOME]);
    expect(fresh.join(' ')).toContain(`--size 1024 --tmpfs ${SANDBOX_HOME}`);
    const cached = bubblewrapArgs({ worktree, options: { homeDir: '/srv/vibn/cache/p1' } });
    expect(binds(cached, '--bind')).toContainEqual(['/srv/vibn/cache/p1', SANDBOX_HOME]);
  });

  it('refuses a relative worktree, the root as one, and a home inside the worktree', () => {
    expect(() => bubblewrapArgs({ worktree: 'tasks/t1', options: {} })).toThrow(/absolute/);
    expect(() => bubblewrapArgs({ worktree: '/tmp/..', options: {} })).toThrow(/below \//);
    expect(() => bubblewrapArgs({ worktree, options: { homeDir: `${worktree}/.cache` } })).toThrow(/outside the worktree/);
    expect(() => bubblewrapArgs({ worktree, options: { homeDir: worktree } })).toThrow(/outside the worktree/);
  });
});
