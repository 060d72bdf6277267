/**
 * Where a git remote URL points, and whether that is inside: this machine, or a loopback, private, link-local
 * or carrier-grade NAT network. A repository URL from a project token must point outside (it would otherwise
 * reach the services beside VIBN), and git credentials go inside only for a URL the admin set.
 *
 * Host names are resolved as git will resolve them (getaddrinfo, through `dns.lookup`), so numeric forms such
 * as `2130706433` or `0x7f.1`, and names such as this machine's own, are judged by the address they name.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';
import { INSIDE_RANGES } from '../../lib/inside-ranges.js';

/** A remote URL taken apart: a network URL with its host, a path on this machine, or neither (a remote's name). */
export type RemoteLocation =
  | { kind: 'network'; scheme: 'https' | 'http' | 'ssh' | 'git'; host: string }
  | { kind: 'local' }
  | { kind: 'unknown' };

// scheme://[user@]host[:port][/…]: one '@' at most, a host of name characters or a bracketed IPv6 address,
// and nothing after it but a port or the path. Anything looser (a backslash, a second '@', a percent-encoded
// host) is where URL parsers disagree with git's and curl's, so it is not taken apart at all.
const NETWORK_URL = /^(https?|ssh|git|git\+ssh|ssh\+git):\/\/(?:[^@/?#\\\s]*@)?(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::\d{1,5})?(?:[/?#]|$)/i;
// git's scp-like syntax, user@host:path; a slash before the first colon would make it a local path.
const SCP_LIKE = /^[\w.-]+@([\w.-]+):(?!\/\/)/;

/** Where `url` points, as git reads it. */
export function remoteLocation(url: string): RemoteLocation {
  if (/[\\\s]/.test(url)) return { kind: 'unknown' };
  const network = NETWORK_URL.exec(url);
  if (network) {
    const scheme = network[1]!.toLowerCase();
    return {
      kind: 'network',
      scheme: scheme === 'https' || scheme === 'http' || scheme === 'git' ? scheme : 'ssh',
      host: network[2]!.replace(/^\[|\]$/g, '').toLowerCase(),
    };
  }
  const scp = SCP_LIKE.exec(url);
  if (scp) return { kind: 'network', scheme: 'ssh', host: scp[1]!.toLowerCase() };
  if (url.startsWith('/') || /^file:\/\//i.test(url)) return { kind: 'local' };
  return { kind: 'unknown' };
}

// One list per range, so a refusal can say which. BlockList also matches IPv4-mapped IPv6 (::ffff:a.b.c.d)
// against the IPv4 ranges.
const insideLists = INSIDE_RANGES.map((range) => {
  const list = new net.BlockList();
  list.addSubnet(range.network, range.prefix, range.family);
  return { list, what: range.what };
});

// NAT64's well-known prefix carries an IPv4 address in its last 32 bits, which is where it leads.
const NAT64 = new net.BlockList();
NAT64.addSubnet('64:ff9b::', 96, 'ipv6');

/** Why the IP address `ip` is inside (e.g. "loopback", "an address of this server"), or undefined when outside. */
export function insideAddress(ip: string): string | undefined {
  const family = net.isIP(ip);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const range = insideLists.find(({ list }) => list.check(ip, type));
  if (range) return range.what;
  if (type === 'ipv6' && NAT64.check(ip, 'ipv6')) {
    const words = expandIpv6(ip);
    const embedded = [words[6]! >> 8, words[6]! & 0xff, words[7]! >> 8, words[7]! & 0xff].join('.');
    return insideAddress(embedded);
  }
  if (ownAddresses().has(canonical(ip))) return 'an address of this server';
  return undefined;
}

const LOOKUP_TIMEOUT_MS = 5_000;

/** Why a host is not outside: it is (or resolves to) an inside address, or it cannot be judged. */
export type HostVerdict = { kind: 'inside' | 'unresolved'; reason: string };

/**
 * Whether the host of a remote is inside, or undefined when it is outside. A host name is inside when any of
 * its addresses is; one that does not resolve cannot be judged, so it is not trusted either.
 */
export async function insideHost(host: string, lookup: typeof dns.lookup = dns.lookup): Promise<HostVerdict | undefined> {
  const bare = host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return { kind: 'inside', reason: 'localhost' };
  if (net.isIP(bare)) {
    const why = insideAddress(bare);
    return why ? { kind: 'inside', reason: why } : undefined;
  }
  let addresses: Array<{ address: string }>;
  let timer: NodeJS.Timeout | undefined;
  try {
    // A resolver that drops queries would hold a request (and a libuv thread) for glibc's retries otherwise.
    const slow = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('lookup timed out'), { code: 'ETIMEOUT' })), LOOKUP_TIMEOUT_MS);
    });
    addresses = await Promise.race([lookup(bare, { all: true, verbatim: true }), slow]);
  } catch (err) {
    return { kind: 'unresolved', reason: `a name that does not resolve (${(err as NodeJS.ErrnoException).code ?? 'lookup failed'})` };
  } finally {
    clearTimeout(timer);
  }
  if (addresses.length === 0) return { kind: 'unresolved', reason: 'a name without addresses' };
  for (const { address } of addresses) {
    const why = insideAddress(address);
    if (why) return { kind: 'inside', reason: `${why} (${address})` };
  }
  return undefined;
}

function ownAddresses(): Set<string> {
  return new Set(
    Object.values(os.networkInterfaces())
      .flat()
      .filter((a): a is os.NetworkInterfaceInfo => a !== undefined)
      .map((a) => canonical(a.address)),
  );
}

/** One spelling per address, so "fd00::2" and "fd00:0::2" compare equal. */
function canonical(ip: string): string {
  return net.isIPv6(ip) ? expandIpv6(ip).map((w) => w.toString(16)).join(':') : ip;
}

/** The eight 16-bit words of an IPv6 address (with an embedded dotted IPv4 tail, if any). */
function expandIpv6(ip: string): number[] {
  let text = ip.replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const middle = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((w) => parseInt(w, 16));
}
