/**
 * A host on "the internet" for tests of `allowNetwork`: an HTTP server in a network namespace of its own,
 * reached from the host over a veth pair at an address in the benchmarking range (198.18.0.0/15: never private,
 * and apart from TEST-NET-2, which runtime/sandbox/network.test.ts uses, so the two may run at once), with
 * /32 routes only, so nothing else on the machine is rerouted. Needs root (ip netns).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { spawn } from 'node:child_process';
import { execa } from 'execa';

export type StandInInternet = { url: string; close(): Promise<void> };

// Answers `/` with the given text, and any other path with the file of that name in the given folder (a
// path without an extension: its `.json`, as a package registry answers a package's name).
const SERVER = `
const fs = require('node:fs'), path = require('node:path');
const [address, answer, dir] = process.argv.slice(1);
require('node:http').createServer((q, r) => {
  const url = decodeURIComponent(q.url.split('?')[0]);
  if (url === '/') return r.end(answer);
  const file = path.join(dir, path.normalize(url) + (path.extname(url) ? '' : '.json'));
  fs.readFile(file, (err, body) => { if (err) { r.statusCode = 404; return r.end(); } r.setHeader('content-type', file.endsWith('.json') ? 'application/json' : 'application/octet-stream'); r.end(body); });
}).listen(8080, address, () => console.log('ready'));`;

/** Starts the stand-in: `/` answers `answer`, other paths the files of `dir` (when given). */
export async function startStandInInternet(answer: string, dir = '/nonexistent'): Promise<StandInInternet> {
  const id = randomBytes(3).toString('hex');
  const ns = `vibn-www-${id}`;
  const [hostSide, peerSide] = [`vw${id}h`, `vw${id}n`];
  const [third, last] = [randomInt(0, 256), 10 + 2 * randomInt(0, 110)];
  const [hostAddress, siteAddress] = [`198.18.${third}.${last}`, `198.18.${third}.${last + 1}`];
  const ip = (...args: string[]) => execa('ip', args);
  const close = async () => {
    server?.kill('SIGKILL');
    await execa('ip', ['link', 'del', hostSide], { reject: false });
    await execa('ip', ['netns', 'del', ns], { reject: false });
  };
  let server: ReturnType<typeof spawn> | undefined;
  try {
    await ip('netns', 'add', ns);
    await ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', peerSide, 'netns', ns);
    await ip('address', 'add', `${hostAddress}/32`, 'dev', hostSide);
    await ip('link', 'set', hostSide, 'up');
    await ip('route', 'add', `${siteAddress}/32`, 'dev', hostSide);
    await ip('-n', ns, 'address', 'add', `${siteAddress}/32`, 'dev', peerSide);
    await ip('-n', ns, 'link', 'set', peerSide, 'up');
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
    await ip('-n', ns, 'route', 'add', `${hostAddress}/32`, 'dev', peerSide);
    await ip('-n', ns, 'route', 'add', 'default', 'via', hostAddress, 'dev', peerSide, 'onlink');
    server = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER, siteAddress, answer, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the stand-in internet did not start within 20 s')), 20_000);
      server!.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && (clearTimeout(timer), resolve()));
      server!.once('exit', (code) => reject(new Error(`the stand-in internet exited with ${code}`)));
    });
  } catch (err) {
    await close();
    throw err;
  }
  return { url: `http://${siteAddress}:8080/`, close };
}
