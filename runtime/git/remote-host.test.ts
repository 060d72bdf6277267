import os from 'node:os';
import type dns from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import { insideAddress, insideHost, remoteLocation } from './remote-host.js';

describe('remoteLocation', () => {
  it.each([
    ['https://github.com/acme/shop.git', 'https', 'github.com'],
    ['https://user:pw@Git.Example.com:3000/acme/shop.git', 'https', 'git.example.com'],
    ['http://10.0.0.5/x.git', 'http', '10.0.0.5'],
    ['ssh://git@[::1]:2222/x.git', 'ssh', '::1'],
    ['git+ssh://git@host.example/x.git', 'ssh', 'host.example'],
    ['git://203.0.113.5/x.git', 'git', '203.0.113.5'],
    ['git@github.com:acme/shop.git', 'ssh', 'github.com'],
    // The host a URL parser would see in the userinfo is not the one git dials.
    ['https://github.com@127.0.0.1/x.git', 'https', '127.0.0.1'],
  ])('reads %s as %s to %s', (url, scheme, host) => {
    expect(remoteLocation(url)).toEqual({ kind: 'network', scheme, host });
  });

  it.each(['/srv/git/x.git', 'file:///srv/git/x.git', 'FILE:///x'])('reads %s as local', (url) => {
    expect(remoteLocation(url)).toEqual({ kind: 'local' });
  });

  // Where parsers disagree (a backslash, two '@', a percent-encoded or zoned host), nothing is taken apart.
  it.each(['origin', 'https://github.com\\@127.0.0.1/x', 'https://a@b@127.0.0.1/x', 'https://127%2e0.0.1/x', 'ssh://[fe80::1%25eth0]/x', 'https://host/ x', 'https:///x'])(
    'does not guess a host in %s',
    (url) => {
      expect(remoteLocation(url)).toEqual({ kind: 'unknown' });
    },
  );
});

describe('insideAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['::', 'unspecified or loopback'],
    ['::1', 'unspecified or loopback'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'link-local'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:a00:1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
  ])('%s is %s', (ip, what) => {
    expect(insideAddress(ip)).toBe(what);
  });

  it.each(['203.0.113.5', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '64:ff9b::808:808'])('%s is outside', (ip) => {
    expect(insideAddress(ip)).toBeUndefined();
  });

  it("counts this machine's own addresses as inside", () => {
    const own = Object.values(os.networkInterfaces())
      .flat()
      .map((a) => a?.address)
      .filter((a): a is string => a !== undefined);
    for (const address of own) expect(insideAddress(address), address).toBeDefined();
  });
});

describe('insideHost', () => {
  const resolvesTo = (...addresses: string[]) => (async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))) as unknown as typeof dns.lookup;

  it('judges IP literals directly and refuses localhost names without a lookup', async () => {
    expect(await insideHost('127.0.0.1')).toEqual({ kind: 'inside', reason: 'loopback' });
    expect(await insideHost('[::1]')).toEqual({ kind: 'inside', reason: 'unspecified or loopback' });
    expect(await insideHost('203.0.113.5')).toBeUndefined();
    expect(await insideHost('LocalHost.')).toEqual({ kind: 'inside', reason: 'localhost' });
    expect(await insideHost('api.localhost')).toEqual({ kind: 'inside', reason: 'localhost' });
  });

  it('resolves names as git would, numeric spellings of loopback and this machine’s name included', async () => {
    for (const host of ['2130706433', '0x7f.1', '127.1', '0', os.hostname()]) {
      expect((await insideHost(host))?.kind, host).toBe('inside');
    }
  });

  it('refuses a name when any of its addresses is inside, and one it cannot resolve', async () => {
    expect(await insideHost('git.example', resolvesTo('203.0.113.5', '10.0.0.7'))).toEqual({ kind: 'inside', reason: 'private (10.0.0.7)' });
    expect(await insideHost('git.example', resolvesTo('203.0.113.5', '2606:4700::1111'))).toBeUndefined();
    expect(await insideHost('git.example', resolvesTo())).toEqual({ kind: 'unresolved', reason: 'a name without addresses' });
    expect((await insideHost('no-such-host.invalid'))?.kind).toBe('unresolved');
  });
});

describe('insideHost with a resolver that never answers', () => {
  it('gives up within its bound and does not trust the name', async () => {
    const never = (() => new Promise(() => undefined)) as unknown as typeof dns.lookup;
    const started = Date.now();
    expect(await insideHost('git.example', never)).toEqual({ kind: 'unresolved', reason: 'a name that does not resolve (ETIMEOUT)' });
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);
});
