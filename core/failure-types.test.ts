/**
 * The failure-type map against the code that throws: every type listed is thrown somewhere, every error class
 * whose name becomes a type carries the name listed, and no thrower spells a type of its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../lib/config.js';
import { DeployHttpError } from '../runtime/deploy/deploy-http-error.js';
import { CredentialsWithheldError } from '../runtime/git/credentials.js';
import { GitAuthenticationError } from '../runtime/git/run-git.js';
import { BoundsUnavailableError } from '../runtime/sandbox/bounds-unavailable.js';
import { InternetOnlyUnavailableError } from '../runtime/sandbox/network.js';
import { SandboxUserError } from '../runtime/sandbox/sandbox-user.js';
import { SandboxUnavailableError } from '../runtime/sandbox/sandbox.js';
import { DiskUnavailableError } from '../runtime/workspace/project-disk.js';
import { FAILURE, FOUNDER_WORDS_FAILURES, NON_RETRYABLE_FAILURES } from './failure-types.js';

type Key = keyof typeof FAILURE;

/** The entries that are error classes thrown as they are, each with an instance of its class. */
const CLASSES: Partial<Record<Key, Error>> = {
  gitAuthentication: new GitAuthenticationError(['fetch'], 128, 'Authentication failed'),
  credentialsWithheld: new CredentialsWithheldError('127.0.0.1', 'loopback'),
  diskUnavailable: new DiskUnavailableError('no loop devices'),
  sandboxUser: new SandboxUserError('no sandbox user'),
  sandboxUnavailable: new SandboxUnavailableError('bwrap missing'),
  boundsUnavailable: new BoundsUnavailableError('no cgroup'),
  internetOnlyUnavailable: new InternetOnlyUnavailableError('no slirp4netns'),
  deployHttp: new DeployHttpError('webhook', 'no answer', undefined, true),
};

/** Every non-test TypeScript file under the folders that throw failures, with its text. */
function sources(...folders: string[]): Array<{ file: string; text: string }> {
  return folders.flatMap((folder) =>
    fs
      .readdirSync(path.join(projectRoot, folder), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => path.join(folder, f))
      .filter((file) => file !== path.join('core', 'failure-types.ts'))
      .map((file) => ({ file, text: fs.readFileSync(path.join(projectRoot, file), 'utf8') })),
  );
}

describe('failure types', () => {
  const code = sources('activities', 'llm', 'runtime', 'core');

  it('names each error class as its class does', () => {
    for (const [key, instance] of Object.entries(CLASSES)) expect(instance.name, key).toBe(FAILURE[key as Key]);
  });

  it('lists only types that something throws', () => {
    for (const key of Object.keys(FAILURE) as Key[]) {
      const instance = CLASSES[key];
      const thrown = instance
        ? // Made with `new`, or picked as the class to make (run-git.ts chooses between two by git's answer).
          code.some(({ text }) => new RegExp(`new ${instance.constructor.name}\\(|\\? ${instance.constructor.name} :`).test(text))
        : // Through the map: a thrower passes FAILURE.<key> as the type (core/budget.ts aliases one for workflows).
          code.some(({ text }) => new RegExp(`FAILURE\\.${key}\\b`).test(text));
      expect(thrown, `${key} (${FAILURE[key]}) is listed but never thrown`).toBe(true);
    }
  });

  it('leaves no thrower in activities or llm spelling a type of its own', () => {
    for (const { file, text } of sources('activities', 'llm')) {
      // A type as a literal: the last argument of ApplicationFailure.nonRetryable/retryable, or `type:` of create.
      expect(text, file).not.toMatch(/ApplicationFailure\.(?:nonRetryable|retryable)\([^;]*,\s*['"`][A-Z][\w-]*['"`]\s*,?\s*\)/);
      expect(text, file).not.toMatch(/type:\s*['"`][A-Z][\w-]*['"`]/);
    }
  });

  it('keeps the non-retryable and founder lists inside the map, without the type nobody throws', () => {
    const types = new Set<string>(Object.values(FAILURE));
    for (const type of [...NON_RETRYABLE_FAILURES, ...FOUNDER_WORDS_FAILURES]) expect(types.has(type), type).toBe(true);
    expect(NON_RETRYABLE_FAILURES).not.toContain('ConfigurationError');
    expect(NON_RETRYABLE_FAILURES).toContain(new GitAuthenticationError([], 128, '').name);
    expect(NON_RETRYABLE_FAILURES).toContain(FAILURE.gitAuth);
    // What the founder reads verbatim must also end the request at once.
    for (const type of FOUNDER_WORDS_FAILURES) expect(NON_RETRYABLE_FAILURES).toContain(type);
  });

  it('bounds every retry profile and gives each the shared non-retryable list', () => {
    const profiles = fs.readFileSync(path.join(projectRoot, 'workflows', 'activity-profiles.ts'), 'utf8');
    const retries = [...profiles.matchAll(/retry:\s*\{([^}]*)\}/g)].map((m) => m[1]!);
    expect(retries.length).toBeGreaterThanOrEqual(7);
    for (const retry of retries) {
      expect(retry).toMatch(/maximumAttempts:/);
      expect(retry).toMatch(/nonRetryableErrorTypes/);
    }
    expect(profiles).toMatch(/nonRetryableErrorTypes = \[\.\.\.NON_RETRYABLE_FAILURES\]/);
  });
});
