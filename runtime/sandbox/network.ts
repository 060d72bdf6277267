/**
 * The network a sandbox gets when its project allows the network: the internet, never the host. The command
 * runs in a network namespace of its own whose only way out is slirp4netns (user-mode networking: the host
 * opens ordinary sockets on the sandbox's behalf), and whose routes send the host's loopback, the host's own
 * addresses and every private, link-local and reserved range nowhere. `runtime/sandbox/README.md` has the
 * measurements, including why slirp4netns and not pasta.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { findExecutable } from '../../lib/executables.js';
import { probeCache } from './probe-cache.js';
import { CommandsRefusedError } from './commands-refused.js';
import { INSIDE_RANGES } from '../../lib/inside-ranges.js';

/** The Debian package that provides the user-mode networking. */
export const INTERNET_ONLY_PACKAGE = 'slirp4netns';

const ipv4Inside = (unicast: boolean) =>
  INSIDE_RANGES.filter((range) => range.family === 'ipv4' && range.unicast === unicast).map((range) => `${range.network}/${range.prefix}`);

/**
 * IPv4 destinations a sandbox may never reach, whatever the port: "this network", private (RFC 1918), CGNAT,
 * loopback, link-local (cloud metadata lives at 169.254.169.254). slirp4netns's own virtual network (10.0.2.0/24,
 * whose .2 and .3 it translates to the host's loopback and resolver) is inside 10/8. Inside the namespace,
 * 127/8 is the namespace's own loopback: a dev server the command starts is reachable there.
 * The same ranges a project token's repository may not point at (lib/inside-ranges.ts).
 */
export const BLOCKED_IPV4: readonly string[] = ipv4Inside(true);

/** Multicast, and reserved plus broadcast: refused too, though slirp4netns forwards neither. */
export const REFUSED_IPV4: readonly string[] = ipv4Inside(false);

/** slirp4netns's fixed addressing: the namespace's address, its gateway, its interface. */
const SANDBOX_ADDRESS = '10.0.2.100';
const GATEWAY = '10.0.2.2';
const TAP = 'tap0';
/** The routing table that holds the refusals; consulted before `main` for what the namespace sends. */
const BLOCK_TABLE = 100;
/** glibc asks at most three resolvers. */
const MAX_RESOLVERS = 3;

const SETUP_SCRIPT = fs.readFileSync(new URL('./internet-only.sh', import.meta.url), 'utf8');

export type InternetOnlyOptions = {
  /** The resolv.conf whose nameservers commands use; default the host's. */
  resolvConf?: string;
  /** Where systemd-resolved lists its upstream servers, used when `resolvConf` names only loopback ones. */
  upstreamResolvConf?: string;
  /** Host addresses (or address/length) refused besides the ranges; default all this host takes as its own. */
  hostAddresses?: readonly string[];
  /** The slirp4netns executable. A path that does not exist stands for a machine without it. */
  slirp4netnsPath?: string;
  /** Lets slirp4netns's own complaints through to the command's stderr (the probe wants them). */
  verbose?: boolean;
};

/** Which resolvers a sandbox is given and, when none is usable, why (in plain words). */
export type SandboxDns = { nameservers: string[]; problem?: string };

/**
 * The argv prefix that runs the rest of an argv (setpriv, bwrap …) inside an internet-only network namespace:
 * append the argv; bwrap must then be given `--share-net`, which shares this namespace. Works started as root
 * (the namespace belongs to the host, and slirp4netns keeps only CAP_NET_BIND_SERVICE in an empty mount
 * namespace) and unprivileged (a user namespace of its own, where it is root; slirp4netns then needs
 * /dev/net/tun open to that user, as Debian ships it). The appended argv keeps the prefix's pid, so killing
 * it (bwrap) ends slirp4netns too. Reads the host's addresses and resolvers now: build it per command.
 */
export function internetOnlyPrefix(options: InternetOnlyOptions = {}): string[] {
  const dns = sandboxDns(options);
  return [
    'bash',
    '-c',
    SETUP_SCRIPT,
    'vibn-internet-only',
    'outer',
    ipv4Batch(dns.nameservers, options.hostAddresses ?? localIpv4Addresses()),
    ipv6Batch(),
    writeResolvConf(dns.nameservers, options.resolvConf ?? '/etc/resolv.conf'),
    options.slirp4netnsPath ?? 'slirp4netns',
    options.verbose ? '1' : '0',
  ];
}

/**
 * The `ip -batch` lines for IPv4. Blocked destinations get `local` routes, so they mean the namespace itself,
 * rather than `prohibit` ones: a failed route lookup on a socket bound to tap0 (SO_BINDTODEVICE, allowed
 * unprivileged) makes the kernel assume the address is on the link and send to it anyway, which is how such
 * a socket reached 10.0.2.3 and, through slirp4netns, the host's resolver on any port. A `local` route is
 * found whatever the socket asks for (its device, SO_DONTROUTE's link scope).
 */
export function ipv4Batch(nameservers: readonly string[], hostAddresses: readonly string[]): string {
  const lines = [
    'link set lo up',
    // --configure gave 10.0.2.100/24; a /32 leaves no on-link neighbours to send to directly.
    `address del ${SANDBOX_ADDRESS}/24 dev ${TAP}`,
    `address add ${SANDBOX_ADDRESS}/32 dev ${TAP}`,
    `route add default via ${GATEWAY} dev ${TAP} onlink`,
  ];
  // `iif lo` is what the namespace itself sends. Packets coming in from slirp4netns are not looked up in the
  // block table: their source, the gateway, would be local there, and the kernel would drop them.
  for (const resolver of nameservers) {
    for (const proto of ['udp', 'tcp']) lines.push(`rule add pref ${BLOCK_TABLE - 10} iif lo to ${resolver}/32 ipproto ${proto} dport 53 lookup main`);
  }
  lines.push(`rule add pref ${BLOCK_TABLE} iif lo lookup ${BLOCK_TABLE}`);
  for (const range of BLOCKED_IPV4) lines.push(`route add local ${range} dev ${TAP} table ${BLOCK_TABLE}`);
  const covered = [...BLOCKED_IPV4, ...REFUSED_IPV4];
  for (const local of new Set(hostAddresses.map((address) => (address.includes('/') ? address : `${address}/32`)))) {
    const [address, bits] = local.split('/');
    if (!net.isIPv4(address!) || !/^\d+$/.test(bits!) || Number(bits) > 32) continue;
    if (!covered.some((range) => inRange(address!, range) && Number(bits) >= Number(range.split('/')[1]))) {
      lines.push(`route add local ${local} dev ${TAP} table ${BLOCK_TABLE}`);
    }
  }
  for (const range of REFUSED_IPV4) lines.push(`route add prohibit ${range} table ${BLOCK_TABLE}`);
  return `${lines.join('\n')}\n`;
}

/** slirp4netns runs without IPv6, so no IPv6 leaves the namespace; this says so to the kernel as well. */
export function ipv6Batch(): string {
  return `rule add pref ${BLOCK_TABLE} iif lo lookup ${BLOCK_TABLE}\nroute add unreachable ::/0 table ${BLOCK_TABLE}\n`;
}

/**
 * The resolvers a sandbox may ask (on port 53 only): the host's IPv4 nameservers that are not loopback. A
 * loopback stub (systemd-resolved's 127.0.0.53) cannot be reached without reaching the host's loopback, so its
 * upstream servers are used instead; where there are none, names do not resolve and `problem` says why.
 */
export function sandboxDns(options: InternetOnlyOptions = {}): SandboxDns {
  const listed = nameserversIn(options.resolvConf ?? '/etc/resolv.conf');
  const usable = listed.filter(isReachableResolver);
  if (usable.length > 0) return { nameservers: usable.slice(0, MAX_RESOLVERS) };
  const upstream = nameserversIn(options.upstreamResolvConf ?? '/run/systemd/resolve/resolv.conf').filter(isReachableResolver);
  if (upstream.length > 0) return { nameservers: upstream.slice(0, MAX_RESOLVERS) };
  const host = listed.length > 0 ? `the host's resolver (${listed.join(', ')}) is on its loopback or IPv6, which sandboxes may not reach` : 'the host names no resolver';
  return { nameservers: [], problem: `names do not resolve in commands with network access: ${host}, and no upstream resolver is listed` };
}

function isReachableResolver(address: string): boolean {
  return net.isIPv4(address) && !inRange(address, '127.0.0.0/8') && !inRange(address, '0.0.0.0/8');
}

function nameserversIn(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([key, value]) => key === 'nameserver' && value !== undefined && net.isIP(value) !== 0)
    .map(([, value]) => value as string);
}

/**
 * A resolv.conf naming only the sandbox's resolvers, with the host's search and options lines, bound over
 * /etc/resolv.conf in the namespace's own mount namespace. Content-addressed, so commands share it and a
 * worker's restarts add nothing.
 */
function writeResolvConf(nameservers: readonly string[], hostResolvConf: string): string {
  let kept: string[] = [];
  try {
    kept = fs
      .readFileSync(hostResolvConf, 'utf8')
      .split('\n')
      .filter((line) => /^(search|domain|options)\s[\x20-\x7e]*$/.test(line));
  } catch {
    // No resolv.conf on the host: the sandbox gets the resolvers alone.
  }
  const content = [...nameservers.map((ns) => `nameserver ${ns}`), ...kept, ''].join('\n');
  const file = path.join(resolvConfDir(), `resolv-${createHash('sha256').update(content).digest('hex').slice(0, 16)}.conf`);
  if (!fs.existsSync(file)) {
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, content);
    // Whatever the umask: the sandbox user reads it through bwrap's bind.
    fs.chmodSync(temp, 0o644);
    fs.renameSync(temp, file);
  }
  return file;
}

let privateDir: string | undefined;

/**
 * One folder per user in the temporary folder, readable by whoever runs the prefix (nothing in it is
 * secret) and writable by its owner only. In a shared /tmp another user may have made it first: then a
 * folder of this process's own.
 */
function resolvConfDir(): string {
  const uid = process.getuid?.() ?? 0;
  const dir = path.join(os.tmpdir(), `vibn-sandbox-dns-${uid}`);
  try {
    fs.mkdirSync(dir, { mode: 0o755 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const stat = fs.lstatSync(dir);
  if (stat.isDirectory() && stat.uid === uid && (stat.mode & 0o022) === 0) return dir;
  if (!privateDir || !fs.existsSync(privateDir)) {
    privateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vibn-sandbox-dns-'));
    fs.chmodSync(privateDir, 0o755);
  }
  return privateDir;
}

/**
 * What this host takes as its own IPv4 addresses: the kernel's local routes (/proc/net/fib_trie), which count
 * addresses on interfaces without carrier and whole `local` prefixes too, where os.networkInterfaces() lists
 * running interfaces only. Each as address/prefix length.
 */
export function localIpv4Addresses(fibTrie = '/proc/net/fib_trie'): string[] {
  let text: string;
  try {
    text = fs.readFileSync(fibTrie, 'utf8');
  } catch {
    return Object.values(os.networkInterfaces())
      .flat()
      .filter((info) => info?.family === 'IPv4')
      .map((info) => `${info!.address}/32`);
  }
  const found = new Set<string>();
  let leaf: string | undefined;
  for (const line of text.split('\n')) {
    const node = /\|-- (\d+\.\d+\.\d+\.\d+)$/.exec(line.trim());
    if (node) leaf = node[1];
    const local = /^\/(\d+) host LOCAL$/.exec(line.trim());
    if (local && leaf) found.add(`${leaf}/${local[1]}`);
  }
  return [...found];
}

function inRange(address: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return ((toInt(address) & mask) >>> 0) === ((toInt(base!) & mask) >>> 0);
}

function toInt(address: string): number {
  return address.split('.').reduce((n, octet) => ((n << 8) | Number(octet)) >>> 0, 0);
}

/**
 * Thrown when a command needs the network but this worker cannot give it the internet-only namespace. Not
 * retryable: the machine has to change. Such a command is refused, never given the host's network instead.
 */
export class InternetOnlyUnavailableError extends CommandsRefusedError {
  override readonly name = 'InternetOnlyUnavailableError';

  /** `reason`: what failed, in the words slirp4netns or the setup used. */
  constructor(reason: string) {
    super(
      reason,
      `Commands that need the network are not run: this worker cannot give them the internet without its own network (${reason}). ` +
        `Install the ${INTERNET_ONLY_PACKAGE} package (apt-get install ${INTERNET_ONLY_PACKAGE}), or turn off the project's network access.`,
    );
  }
}

export type InternetOnlyStatus = { available: true; dns: SandboxDns } | { available: false; reason: string };

const detectAt = probeCache(probe, (status: InternetOnlyStatus) => status.available);

/** Whether the internet-only namespace can be made here, by making one and reading its default route. Remembered like bwrap's. */
export function detectInternetOnly(options: Pick<InternetOnlyOptions, 'slirp4netnsPath'> = {}): Promise<InternetOnlyStatus> {
  return detectAt(options.slirp4netnsPath ?? 'slirp4netns');
}

async function probe(slirp4netnsPath: string): Promise<InternetOnlyStatus> {
  if (!findExecutable(slirp4netnsPath)) return { available: false, reason: `${slirp4netnsPath} was not found` };
  const [file, ...args] = [...internetOnlyPrefix({ slirp4netnsPath, verbose: true }), 'ip', '-4', 'route', 'show', 'default'];
  const result = await execa(file!, args, { reject: false, timeout: 20_000, stdin: 'ignore', cwd: '/' });
  if (result.exitCode === 0 && result.stdout.includes(GATEWAY)) return { available: true, dns: sandboxDns() };
  const said = `${result.stderr}`.split('\n').filter(Boolean).join('; ');
  return { available: false, reason: said || result.shortMessage || `the setup exited with ${result.exitCode}` };
}
