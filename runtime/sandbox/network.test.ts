/**
 * The internet-only network on this machine's kernel, with real slirp4netns and real bwrap. The test makes its
 * own "internet": a network namespace joined to the host by a veth pair, with TEST-NET-2 addresses (public
 * ranges, not private; 203.0.113.0/24 holds this machine's package mirror, so it is left alone) and /32 routes
 * only. There a web server, a UDP echo and a DNS server (on a private address) stand in for the internet; on
 * the host, listeners on loopback and on every address stand in for Postgres, Temporal and the API.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bubblewrapArgs } from './bubblewrap.js';
import {
  detectInternetOnly,
  InternetOnlyUnavailableError,
  internetOnlyPrefix,
  ipv4Batch,
  localIpv4Addresses,
  sandboxDns,
} from './network.js';
import { hostLinks } from './sandbox.js';
import { asSandboxUser, grantToSandboxUser } from './sandbox-user.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vibn-network-test-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const at = path.join(scratch, name);
  fs.writeFileSync(at, content, { mode: 0o644 });
  return at;
}

describe('the routes and resolvers of the internet-only namespace', () => {
  it('makes every private range and every host address local, and lets resolvers through on port 53 only', () => {
    const batch = ipv4Batch(['10.9.8.7'], ['127.0.0.1', '192.0.2.2', '192.0.2.2', '10.1.2.3', '203.0.113.9', 'fe80::1']);
    expect(batch).toContain('rule add pref 90 iif lo to 10.9.8.7/32 ipproto udp dport 53 lookup main');
    expect(batch).toContain('rule add pref 90 iif lo to 10.9.8.7/32 ipproto tcp dport 53 lookup main');
    for (const range of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8', '0.0.0.0/8']) {
      expect(batch).toContain(`route add local ${range} dev tap0 table 100`);
    }
    // Host addresses once each, and not again when a range already covers them.
    expect(batch.match(/local 192\.0\.2\.2\/32/g)).toHaveLength(1);
    expect(batch).toContain('route add local 203.0.113.9/32 dev tap0 table 100');
    expect(batch).not.toContain('10.1.2.3');
    expect(batch).not.toContain('fe80');
    expect(ipv4Batch([], ['198.51.100.0/24', '10.1.0.0/16'])).toMatch(/route add local 198\.51\.100\.0\/24 dev tap0 table 100\n(?![^]*10\.1\.0\.0)/);
  });

  it("reads the host's own addresses from the kernel's local routes, those of interfaces without carrier included", () => {
    const trie = file('fib_trie', [
      'Main:', '  +-- 0.0.0.0/0 3 0 5', '     |-- 0.0.0.0', '        /0 universe UNICAST',
      'Local:', '  +-- 0.0.0.0/0 3 0 5', '     |-- 10.99.0.1', '        /32 host LOCAL',
      '     +-- 127.0.0.0/8 2 0 2', '        |-- 127.0.0.0', '           /8 host LOCAL', '        |-- 127.255.255.255', '           /32 link BROADCAST',
      '     |-- 203.0.113.0', '        /24 host LOCAL', '     |-- 192.0.2.2', '        /32 host LOCAL', '',
    ].join('\n'));
    expect(localIpv4Addresses(trie)).toEqual(['10.99.0.1/32', '127.0.0.0/8', '203.0.113.0/24', '192.0.2.2/32']);
  });

  it('gives sandboxes the host resolvers off loopback, else systemd-resolved upstreams, else says names will not resolve', () => {
    const direct = file('direct.conf', 'search example.org\nnameserver 10.1.1.1\nnameserver 127.0.0.53\nnameserver 2001:db8::1\n');
    expect(sandboxDns({ resolvConf: direct })).toEqual({ nameservers: ['10.1.1.1'] });
    const stub = file('stub.conf', 'nameserver 127.0.0.53\noptions edns0\n');
    const upstream = file('upstream.conf', 'nameserver 198.51.100.53\n');
    expect(sandboxDns({ resolvConf: stub, upstreamResolvConf: upstream })).toEqual({ nameservers: ['198.51.100.53'] });
    const none = sandboxDns({ resolvConf: stub, upstreamResolvConf: path.join(scratch, 'absent') });
    expect(none.nameservers).toEqual([]);
    expect(none.problem).toMatch(/^names do not resolve in commands with network access: the host's resolver \(127\.0\.0\.53\) is on its loopback/);
  });

  it('reports a missing slirp4netns, in words a refusal can carry', async () => {
    const status = await detectInternetOnly({ slirp4netnsPath: '/nonexistent/slirp4netns' });
    expect(status).toEqual({ available: false, reason: '/nonexistent/slirp4netns was not found' });
    const refusal = new InternetOnlyUnavailableError('/nonexistent/slirp4netns was not found');
    expect(refusal.message).toMatch(/^Commands that need the network are not run: .*apt-get install slirp4netns/);
  });
});

const isRoot = process.getuid?.() === 0;

/** What the host and the stand-in internet answer, each with the run's token so a reply cannot be mistaken. */
type Fixture = {
  token: string;
  internet: string;
  resolver: string;
  hostAddresses: string[];
  loopbackPort: number;
  anyPort: number;
  resolvConf: string;
};

describe.skipIf(!isRoot)('a sandbox with network access, on this kernel (as root: makes namespaces and interfaces)', () => {
  const id = randomBytes(3).toString('hex');
  const names = { ns: `vibn-net-${id}`, veth: `vn${id}h`, peer: `vn${id}n`, local: `vn${id}a`, localPeer: `vn${id}b` };
  const last = 10 + 2 * randomInt(0, 110);
  const fx: Fixture = {
    token: `token-${id}`,
    internet: `198.51.100.${last + 1}`,
    resolver: `10.${randomInt(100, 200)}.${randomInt(0, 256)}.53`,
    hostAddresses: [],
    loopbackPort: 0,
    anyPort: 0,
    resolvConf: '',
  };
  const hostSide = `198.51.100.${last}`;
  const hostPrivate = [`10.${randomInt(100, 200)}.${randomInt(0, 256)}.1`, `192.168.${randomInt(0, 256)}.1`];
  const servers: http.Server[] = [];
  let internetProcess: ChildProcess | undefined;

  const ip = (...args: string[]) => execa('ip', args);

  beforeAll(async () => {
    await ip('netns', 'add', names.ns);
    await ip('link', 'add', names.veth, 'type', 'veth', 'peer', 'name', names.peer, 'netns', names.ns);
    await ip('address', 'add', `${hostSide}/32`, 'dev', names.veth);
    await ip('link', 'set', names.veth, 'up');
    for (const to of [fx.internet, fx.resolver]) await ip('route', 'add', `${to}/32`, 'dev', names.veth);
    const inNs = (...args: string[]) => ip('-n', names.ns, ...args);
    for (const address of [fx.internet, fx.resolver]) await inNs('address', 'add', `${address}/32`, 'dev', names.peer);
    await inNs('link', 'set', names.peer, 'up');
    await inNs('link', 'set', 'lo', 'up');
    await inNs('route', 'add', `${hostSide}/32`, 'dev', names.peer);
    await inNs('route', 'add', 'default', 'via', hostSide, 'dev', names.peer, 'onlink');
    // Private addresses of the host's own, as a dummy interface would hold them (this kernel has no dummy
    // driver; a veth pair does the same).
    await ip('link', 'add', names.local, 'type', 'veth', 'peer', 'name', names.localPeer);
    for (const address of hostPrivate) await ip('address', 'add', `${address}/32`, 'dev', names.local);
    await ip('link', 'set', names.local, 'up');

    internetProcess = spawn('ip', ['netns', 'exec', names.ns, process.execPath, '-e', internetScript, fx.internet, fx.resolver, fx.token], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the stand-in internet did not start within 20 s')), 20_000);
      internetProcess!.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && (clearTimeout(timer), resolve()));
      internetProcess!.once('exit', (code) => reject(new Error(`the stand-in internet exited with ${code}`)));
    });

    const listen = async (host: string, label: string) => {
      const server = http.createServer((_req, res) => res.end(`${label}-${fx.token}\n`));
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, host, resolve));
      return (server.address() as AddressInfo).port;
    };
    fx.loopbackPort = await listen('127.0.0.1', 'host-loopback');
    fx.anyPort = await listen('0.0.0.0', 'host-any');
    fx.hostAddresses = localIpv4Addresses()
      .filter((local) => local.endsWith('/32') && !local.startsWith('127.'))
      .map((local) => local.replace('/32', ''));
    fx.resolvConf = file(`resolv-${id}.conf`, `nameserver ${fx.resolver}\n`);
  }, 60_000);

  afterAll(async () => {
    internetProcess?.kill('SIGKILL');
    for (const server of servers) server.close();
    await execa('ip', ['link', 'del', names.veth], { reject: false });
    await execa('ip', ['link', 'del', names.local], { reject: false });
    await execa('ip', ['netns', 'del', names.ns], { reject: false });
  });

  it('reaches the internet by address and by name, TCP and UDP, and nothing on the host, started as root', async () => {
    expect(fx.hostAddresses).toEqual(expect.arrayContaining([hostSide, ...hostPrivate]));
    const worktree = await worktreeFor('root');
    await grantToSandboxUser(worktree);
    const before = slirpProcesses(fx.token);
    const argv = [...internetOnlyPrefix({ resolvConf: fx.resolvConf }), ...asSandboxUser(), ...sandboxArgv(worktree, true)];
    const run = await runProbes(argv, fx);
    expectInternetOnly(run, fx);
    // The sandbox cannot change what it is given.
    expect(run.stdout).toContain('route-change refused');
    // slirp4netns ends with the command, and its sandbox left the host's mounts alone (it once unmounted /run/netns/*).
    await waitFor('slirp4netns to end with the command', () => slirpProcesses(fx.token) === before);
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).toContain(`/run/netns/${names.ns} `);
  });

  it('does the same started as an unprivileged user, in a user namespace of its own', async () => {
    const worktree = await worktreeFor('unprivileged');
    fs.chownSync(worktree, 65534, 65534);
    const argv = await asNobody([...internetOnlyPrefix({ resolvConf: fx.resolvConf }), ...sandboxArgv(worktree, true)]);
    expectInternetOnly(await runProbes(argv, fx), fx);
  });

  it('refuses to run the command, and says so, where slirp4netns cannot start: never the host network instead', async () => {
    const worktree = await worktreeFor('broken');
    const argv = [...internetOnlyPrefix({ resolvConf: fx.resolvConf, slirp4netnsPath: '/bin/false' }), ...asSandboxUser(), ...sandboxArgv(worktree, true)];
    const run = await execa(argv[0]!, [...argv.slice(1), 'echo', 'ran'], { reject: false, timeout: 30_000 });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).not.toContain('ran');
    expect(run.stderr).toContain('The network for this command could not be set up: slirp4netns did not start');
  });

  it('ends slirp4netns when the whole command is killed, as a timeout or a stop kills it', async () => {
    const worktree = await worktreeFor('killed');
    await grantToSandboxUser(worktree);
    const argv = [...internetOnlyPrefix({ resolvConf: fx.resolvConf }), ...asSandboxUser(), ...sandboxArgv(worktree, true), 'sleep', '60'];
    const before = slirpProcesses(fx.token);
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: 'ignore', env: { ...process.env, VIBN_TEST_MARK: fx.token } });
    try {
      await waitFor('slirp4netns to start', () => slirpProcesses(fx.token) > before);
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
    }
    await waitFor('slirp4netns to end after the kill', () => slirpProcesses(fx.token) === before);
  });

  it('reaches nothing at all without network access (bwrap --unshare-net, no slirp4netns)', async () => {
    const worktree = await worktreeFor('offline');
    await grantToSandboxUser(worktree);
    const run = await runProbes([...asSandboxUser(), ...sandboxArgv(worktree, false)], fx);
    expect(run.exitCode).toBe(0);
    for (const name of ['internet', 'internet-by-name', 'internet-udp', ...blockedProbes(fx).map(([probe]) => probe)]) {
      expect(run.stdout).toMatch(new RegExp(`^${name} refused`, 'm'));
    }
    for (const reply of ['internet', 'host-loopback', 'host-any', 'resolver-host']) expect(run.stdout).not.toContain(`${reply}-${fx.token}`);
  });

  async function worktreeFor(label: string): Promise<string> {
    const dir = fs.mkdtempSync(path.join(scratch, `${label}-`));
    fs.chmodSync(scratch, 0o755);
    return dir;
  }
});

/** bwrap and its arguments for a worktree, with or without the network, ready for a command. */
function sandboxArgv(worktree: string, allowNetwork: boolean): string[] {
  return ['bwrap', ...bubblewrapArgs({ worktree, options: { allowNetwork }, hostLinks: hostLinks() }), '--'];
}

/** Every probe that must fail: [name, curl arguments]. */
function blockedProbes(fx: Fixture): Array<[string, string]> {
  const probes: Array<[string, string]> = [
    ['host-loopback', `http://127.0.0.1:${fx.loopbackPort}/`],
    ['postgres', 'telnet://127.0.0.1:5432'],
    ['cloud-metadata', 'http://169.254.169.254/'],
    ['resolver-other-port', `http://${fx.resolver}:8080/`],
    ['slirp-host-alias', `http://10.0.2.2:${fx.loopbackPort}/`],
    ['slirp-dns-alias', `http://10.0.2.3:${fx.anyPort}/`],
  ];
  for (const address of fx.hostAddresses) probes.push([`host-${address}`, `http://${address}:${fx.anyPort}/`]);
  return probes;
}

/**
 * Runs the probes inside the sandbox `argv` starts: each line says `<name> reached|refused <what came back>`.
 * Every blocked address is tried plainly, bound to the namespace's interface (SO_BINDTODEVICE, which bypasses
 * a refusing route) and with SO_DONTROUTE.
 */
async function runProbes(argv: string[], fx: Fixture) {
  const helpers = [
    `probe() { local name=$1; shift; if out=$(curl -sS --connect-timeout 3 -m 5 "$@" 2>&1 </dev/null); then echo "$name reached $out"; else echo "$name refused $out"; fi; }`,
    `py() { python3 -c 'import socket,sys
s=socket.socket(); s.settimeout(3)
if sys.argv[3]: s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, sys.argv[3].encode())
s.setsockopt(socket.SOL_SOCKET, socket.SO_DONTROUTE, 1)
s.connect((sys.argv[1], int(sys.argv[2]))); s.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n"); print(s.recv(200).decode(errors="replace"))' "$@"; }`,
  ];
  const internet = [
    `probe internet http://${fx.internet}:8080/`,
    // Shows that binding to tap0 works in the sandbox, so the bound probes below test the routes, not that.
    `probe internet-bound-to-tap0 --interface tap0 http://${fx.internet}:8080/`,
    `probe internet-by-name http://site-${fx.token}.test:8080/`,
    `if reply=$( (exec 3<>/dev/udp/${fx.internet}/9053 && echo ping >&3 && timeout 3 head -n 1 <&3) 2>&1); then echo "internet-udp reached $reply"; else echo "internet-udp refused $reply"; fi`,
  ];
  const blocked = [
    ...blockedProbes(fx).flatMap(([name, url]) => {
      const [host, port] = url.replace(/^\w+:\/\//, '').replace(/\/$/, '').split(':');
      return [
        `probe ${name} ${url}`,
        `probe ${name}-bound-to-tap0 --interface tap0 ${url}`,
        `if out=$(py ${host} ${port ?? 80} tap0 2>&1); then echo "${name}-dontroute reached $out"; else echo "${name}-dontroute refused"; fi`,
      ];
    }),
    `if ip route flush table 100 2>/dev/null || ip rule del pref 100 2>/dev/null; then echo route-change allowed; else echo route-change refused; fi`,
  ];
  // All at once (a probe that never connects costs its whole timeout, and there are dozens), the blocked ones
  // between two readings of what tap0 has sent: not one packet of theirs may leave the namespace, not even
  // the ARP request of a socket that talked the kernel into trying the address on the link.
  const parallel = (phase: string, checks: string[]) => [...checks.map((check, i) => `{ ${check}\n} >/tmp/${phase}-${i} 2>&1 &`), 'wait', `cat /tmp/${phase}-*`];
  const sent = (label: string) => `awk '$1 == "tap0:" { print "tap0-sent-${label}", $11 }' /proc/net/dev`;
  // The reading before the blocked probes waits for the internet probes' own last packets: on a busy machine
  // slirp4netns may hand over a server's closing FIN late, and the kernel's ACK to it would be counted against
  // the blocked probes. Settled: no TCP connection left but TIME-WAIT, and tap0 quiet for half a second (at most 10 s).
  const settle = [
    `txOf() { awk '$1 == "tap0:" { print $11 }' /proc/net/dev; }`,
    `last=$(txOf); for i in $(seq 1 20); do sleep 0.5; now=$(txOf); if [ "$now" = "$last" ] && [ -z "$(ss -Htan state established state syn-sent state fin-wait-1 state fin-wait-2 state close-wait state last-ack state closing)" ]; then break; fi; last=$now; done`,
  ];
  const script = [...helpers, ...parallel('internet', internet), ...settle, sent('before'), ...parallel('blocked', blocked), sent('after')].join('\n');
  return execa(argv[0]!, [...argv.slice(1), 'bash', '-c', script], { reject: false, timeout: 60_000, env: { ...process.env, VIBN_TEST_MARK: fx.token } });
}

function expectInternetOnly(run: { exitCode?: number; stdout: string; stderr: string }, fx: Fixture) {
  expect(run.stderr).toBe('');
  expect(run.exitCode).toBe(0);
  expect(run.stdout).toContain(`internet reached internet-${fx.token}`);
  expect(run.stdout).toContain(`internet-bound-to-tap0 reached internet-${fx.token}`);
  expect(run.stdout).toContain(`internet-by-name reached internet-${fx.token}`);
  expect(run.stdout).toContain(`internet-udp reached ping`);
  for (const [name] of blockedProbes(fx)) {
    for (const variant of ['', '-bound-to-tap0', '-dontroute']) expect(run.stdout).toMatch(new RegExp(`^${name}${variant} refused`, 'm'));
  }
  const sentBefore = /^tap0-sent-before (\d+)$/m.exec(run.stdout)?.[1];
  expect(sentBefore).toBeDefined();
  expect(run.stdout).toMatch(new RegExp(`^tap0-sent-after ${sentBefore}$`, 'm'));
  // No host listener answered anything, in any form.
  expect(run.stdout).not.toContain(`host-loopback-${fx.token}`);
  expect(run.stdout).not.toContain(`host-any-${fx.token}`);
  expect(run.stdout).not.toContain(`resolver-host-${fx.token}`);
}

/** Runs `argv` as nobody (65534), with /dev/net/tun usable by all as Debian ships it (here it may be 0600). */
async function asNobody(argv: string[]): Promise<string[]> {
  const nobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];
  if ((fs.statSync('/dev/net/tun').mode & 0o666) === 0o666) return [...nobody, ...argv];
  const dir = fs.mkdtempSync(path.join(scratch, 'tun-'));
  await execa('mknod', ['-m', '666', path.join(dir, 'tun'), 'c', '10', '200']);
  // Only in this command's own mount namespace: the host's /dev/net/tun is not touched.
  return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$0" /dev/net/tun && exec "$@"', path.join(dir, 'tun'), ...nobody, ...argv];
}

/** How many slirp4netns processes this test run started are alive (marked through their environment). */
function slirpProcesses(mark: string): number {
  let count = 0;
  for (const pid of fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'slirp4netns') continue;
      const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      if (state !== 'Z' && fs.readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`VIBN_TEST_MARK=${mark}`)) count += 1;
    } catch {
      // Gone meanwhile.
    }
  }
  return count;
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The stand-in internet, run by node inside the test's namespace: argv is [internet, resolver, token]. A web
 * server and a UDP echo on the internet address; on the resolver's private address, a DNS server that knows
 * one name (site-<token>.test, the internet address) and a web server that must stay out of reach.
 */
const internetScript = `
const [internet, resolver, token] = process.argv.slice(1);
const http = require('node:http');
const dgram = require('node:dgram');
let pending = 4;
const up = () => --pending === 0 && console.log('ready');
http.createServer((q, s) => s.end('internet-' + token + '\\n')).listen(8080, internet, up);
http.createServer((q, s) => s.end('resolver-host-' + token + '\\n')).listen(8080, resolver, up);
const echo = dgram.createSocket('udp4');
echo.on('message', (m, r) => echo.send(m, r.port, r.address));
echo.bind(9053, internet, up);
const dns = dgram.createSocket('udp4');
dns.on('message', (m, r) => {
  let i = 12; const labels = [];
  while (m[i]) { labels.push(m.subarray(i + 1, i + 1 + m[i]).toString()); i += m[i] + 1; }
  const qtype = m.readUInt16BE(i + 1);
  const known = labels.join('.').toLowerCase() === 'site-' + token + '.test';
  const header = Buffer.from(m.subarray(0, 12));
  header[2] = 0x80 | (m[2] & 0x01); header[3] = known ? 0x80 : 0x83;
  header.writeUInt16BE(1, 4); header.writeUInt16BE(known && qtype === 1 ? 1 : 0, 6); header.writeUInt32BE(0, 8);
  const answer = known && qtype === 1 ? Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...internet.split('.').map(Number)]) : Buffer.alloc(0);
  dns.send(Buffer.concat([header, m.subarray(12, i + 5), answer]), r.port, r.address);
});
dns.bind(53, resolver, up);
`;
