/**
 * ensureSystemPackages against a PATH holding only fake `apt-get` and `sudo` shell scripts that record how
 * they were called: the real processes run, the real apt never does.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureSystemPackages, SKIP_SYSTEM_PACKAGES_SETTING, SystemPackagesError, type Need } from './system-packages.js';

let dir: string;
let calls: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vibn-system-packages-'));
  calls = path.join(dir, 'calls');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A shell script on the fake PATH; `$CALLS` is where every fake appends the line it was called with. */
function fake(name: string, body: string): void {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\nCALLS='${calls}'\nINSTALLED='${dir}'\n${body}\n`);
  fs.chmodSync(file, 0o755);
}

/** apt-get that records its arguments and DEBIAN_FRONTEND, and "installs" a package by leaving a marker file. */
const aptGetThatInstalls = `echo "apt-get $* [DEBIAN_FRONTEND=$DEBIAN_FRONTEND]" >> "$CALLS"
if [ "$1" = install ]; then for arg in "$@"; do : > "$INSTALLED/installed-$arg"; done; fi`;

/** sudo that records its arguments, allows `-n true`, and runs the rest as given (VAR=value first, like sudo). */
const passwordlessSudo = `echo "sudo $*" >> "$CALLS"
[ "$1" = -n ] && shift
[ "$1" = true ] && exit 0
exec /usr/bin/env "$@"`;

/** A need that counts as present once the fake apt-get has installed it. */
const need = (pkg: string): Need => ({ pkg, present: () => fs.existsSync(path.join(dir, `installed-${pkg}`)), why: `${pkg} is needed` });
const needs = () => [need('alpha'), { pkg: 'beta', present: () => true, why: 'already here' }, need('gamma')];

const env = () => ({ PATH: dir });
const recorded = () => (fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n') : []);
const lines: string[] = [];
const out = (line: string) => lines.push(line);
beforeEach(() => (lines.length = 0));

async function failure(promise: Promise<void>): Promise<SystemPackagesError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SystemPackagesError);
  return err as SystemPackagesError;
}

describe('ensureSystemPackages', () => {
  it('does nothing, and says nothing, when every package is present', async () => {
    fake('apt-get', aptGetThatInstalls);
    const started = performance.now();
    await ensureSystemPackages([{ pkg: 'beta', present: () => true, why: 'already here' }], out, { env: env(), uid: 1000 });
    expect(performance.now() - started).toBeLessThan(50);
    expect(lines).toEqual([]);
    expect(recorded()).toEqual([]);
  });

  it('as root, runs apt-get update then installs only the missing packages, non-interactively', async () => {
    fake('apt-get', aptGetThatInstalls);
    await ensureSystemPackages(needs(), out, { env: env(), uid: 0 });
    expect(recorded()).toEqual([
      'apt-get update -qq [DEBIAN_FRONTEND=noninteractive]',
      'apt-get install -y -qq --no-install-recommends alpha gamma [DEBIAN_FRONTEND=noninteractive]',
    ]);
    expect(lines[0]).toBe('installing the Debian package alpha with apt-get: alpha is needed');
    expect(lines[1]).toBe('installing the Debian package gamma with apt-get: gamma is needed');
    expect(lines[2]).toMatch(/^installed alpha, gamma in \d+ s$/);
  });

  it('as another user with passwordless sudo, runs apt-get through sudo -n', async () => {
    fake('apt-get', aptGetThatInstalls);
    fake('sudo', passwordlessSudo);
    await ensureSystemPackages(needs(), out, { env: env(), uid: 1000 });
    expect(recorded()).toEqual([
      'sudo -n true',
      'sudo -n DEBIAN_FRONTEND=noninteractive apt-get update -qq',
      'apt-get update -qq [DEBIAN_FRONTEND=noninteractive]',
      'sudo -n DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends alpha gamma',
      'apt-get install -y -qq --no-install-recommends alpha gamma [DEBIAN_FRONTEND=noninteractive]',
    ]);
  });

  it('as another user without sudo, stops at once naming what is missing, why, and the command to run', async () => {
    fake('apt-get', aptGetThatInstalls);
    const err = await failure(ensureSystemPackages(needs(), out, { env: env(), uid: 1000 }));
    expect(err.message).toBe(
      'Missing Debian packages, and installing them needs root or passwordless sudo (there is no sudo here):\n' +
        '  alpha: alpha is needed\n  gamma: gamma is needed\n' +
        'Install them with: sudo apt-get install -y alpha gamma',
    );
    expect(err.command).toBe('sudo apt-get install -y alpha gamma');
    expect(err.missing).toEqual(['alpha', 'gamma']);
    expect(recorded()).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('as another user whose sudo wants a password, stops without installing', async () => {
    fake('apt-get', aptGetThatInstalls);
    fake('sudo', 'echo "sudo $*" >> "$CALLS"; echo "sudo: a password is required" >&2; exit 1');
    const err = await failure(ensureSystemPackages([need('alpha')], out, { env: env(), uid: 1000 }));
    expect(err.message).toContain('needs root or passwordless sudo (`sudo -n true` failed)');
    expect(err.message).toContain('Install it with: sudo apt-get install -y alpha');
    expect(recorded()).toEqual(['sudo -n true']);
  });

  it('without apt-get, stops naming the packages', async () => {
    const err = await failure(ensureSystemPackages([need('alpha')], out, { env: env(), uid: 0 }));
    expect(err.message).toBe('Missing Debian packages, and there is no apt-get here to install them:\n  alpha: alpha is needed\nInstall it with: apt-get install -y alpha');
  });

  it('fails with apt-get’s own words when the install fails', async () => {
    fake('apt-get', `echo "apt-get $*" >> "$CALLS"
[ "$1" = update ] && exit 0
echo "E: Unable to locate package alpha" >&2; exit 100`);
    const err = await failure(ensureSystemPackages([need('alpha')], out, { env: env(), uid: 0 }));
    expect(err.message).toContain('apt-get install -y -qq --no-install-recommends alpha exited with 100:\nE: Unable to locate package alpha');
    expect(err.message).toContain('Install it with: apt-get install -y alpha');
  });

  it('fails naming the packages that apt-get said it installed but are still not there', async () => {
    fake('apt-get', `[ "$1" = install ] && : > "$INSTALLED/installed-alpha"; exit 0`);
    const err = await failure(ensureSystemPackages([need('alpha'), need('gamma')], out, { env: env(), uid: 0 }));
    expect(err.message).toBe('apt-get succeeded, but these packages are still not usable:\n  gamma: gamma is needed\nInstall it with: apt-get install -y gamma');
    expect(err.missing).toEqual(['gamma']);
  });

  it('gives up on an apt-get that outlives its time', async () => {
    fake('apt-get', 'exec /bin/sleep 30');
    const started = Date.now();
    const err = await failure(ensureSystemPackages([need('alpha')], out, { env: env(), uid: 0, timeoutMs: 300 }));
    expect(err.message).toContain('apt-get update -qq timed out');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it(`skips the step, saying so, with ${SKIP_SYSTEM_PACKAGES_SETTING}=1`, async () => {
    fake('apt-get', aptGetThatInstalls);
    await ensureSystemPackages([need('alpha')], out, { env: { ...env(), [SKIP_SYSTEM_PACKAGES_SETTING]: '1' }, uid: 0 });
    expect(recorded()).toEqual([]);
    expect(lines).toEqual([`${SKIP_SYSTEM_PACKAGES_SETTING}=1: not installing alpha; what needs it will fail`]);
  });
});
