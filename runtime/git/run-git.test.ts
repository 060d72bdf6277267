import { afterEach, describe, expect, it } from 'vitest';
import { GitCommandError, redact, redactUrls, runGit } from './run-git.js';
import { TempDirs } from './test-repos.js';

const temp = new TempDirs();
afterEach(() => temp.removeAll());

describe('runGit', () => {
  it('removes credentials from URLs', () => {
    expect(redactUrls("fatal: could not read from 'https://x-access-token:ghp_secret@github.com/a/b.git'")).toBe(
      "fatal: could not read from 'https://***@github.com/a/b.git'",
    );
  });

  it('removes each secret wherever it appears, and credentials in URLs', () => {
    expect(redact('token gta_s3cret rejected by https://u:p@host/x (gta_s3cret)', ['gta_s3cret'])).toBe(
      'token *** rejected by https://***@host/x (***)',
    );
  });

  it('keeps the secrets of its credentials out of the error, arguments included', async () => {
    const dir = await temp.make();
    const auth = { config: [], env: {}, secrets: ['gta_s3cret'] };
    const error = await runGit(dir, ['ls-remote', 'http://127.0.0.1:1/gta_s3cret.git'], { auth }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitCommandError);
    expect(String((error as Error).message)).not.toContain('gta_s3cret');
    expect((error as GitCommandError).args).toEqual(['ls-remote', 'http://127.0.0.1:1/***.git']);
  });

  it('reports a failure without the credentials it was given', async () => {
    const dir = await temp.make();
    const error = await runGit(dir, ['ls-remote', 'https://user:hunter2@127.0.0.1:1/repo.git']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitCommandError);
    expect(String((error as Error).message)).not.toContain('hunter2');
  });

  it('does not hand VIBN’s own environment to git', async () => {
    process.env.VIBN_TEST_SECRET = 'do-not-leak';
    try {
      const dir = await temp.make();
      const env = await runGit(dir, ['-c', 'alias.env=!env', 'env']);
      expect(env.stdout).not.toContain('do-not-leak');
      expect(env.stdout).toContain('GIT_TERMINAL_PROMPT=0');
    } finally {
      delete process.env.VIBN_TEST_SECRET;
    }
  });
});
