/**
 * Which TCP addresses a process listens on, read from /proc as the kernel sees them (not from what the
 * program says it does), and the machine's own non-loopback addresses to try reaching them from.
 */
import fs from 'node:fs/promises';
import os from 'node:os';

export type Listener = { address: string; port: number };

/** The TCP sockets process `pid` listens on (IPv4 and IPv6). */
export async function listeningSockets(pid: number): Promise<Listener[]> {
  const inodes = new Set<string>();
  for (const fd of await fs.readdir(`/proc/${pid}/fd`)) {
    const target = await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const listeners: Listener[] = [];
  for (const [file, parse] of [
    [`/proc/${pid}/net/tcp`, ipv4],
    [`/proc/${pid}/net/tcp6`, ipv6],
  ] as const) {
    const table = await fs.readFile(file, 'utf8').catch(() => '');
    for (const line of table.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1], fields[3], fields[9]];
      // 0A is TCP_LISTEN.
      if (!local || state !== '0A' || !inode || !inodes.has(inode)) continue;
      const [hexAddress, hexPort] = local.split(':') as [string, string];
      listeners.push({ address: parse(hexAddress), port: parseInt(hexPort, 16) });
    }
  }
  return listeners;
}

/** /proc/net/tcp writes an IPv4 address as one little-endian 32-bit word. */
function ipv4(hex: string): string {
  return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
}

/** /proc/net/tcp6 writes an IPv6 address as four little-endian 32-bit words. */
function ipv6(hex: string): string {
  const bytes: number[] = [];
  for (let word = 0; word < 4; word += 1) {
    for (const i of [3, 2, 1, 0]) bytes.push(parseInt(hex.slice(word * 8 + i * 2, word * 8 + i * 2 + 2), 16));
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') return `::ffff:${bytes.slice(12).join('.')}`;
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** The pid of the process whose argv contains every one of `args` in order, as whole arguments. */
export async function findProcess(args: readonly string[]): Promise<number | undefined> {
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const at = argv.findIndex((_, i) => args.every((arg, j) => argv[i + j] === arg));
    if (at >= 0) return Number(entry);
  }
  return undefined;
}

/** This machine's addresses other than loopback (and link-local IPv6, which needs a scope to dial). */
export function externalAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => a !== undefined && !a.internal && !(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80')))
    .map((a) => a.address);
}
