import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { describe, expect, inject, it } from 'vitest';
import { externalAddresses, findProcess, listeningSockets } from '../test/helpers/listening-sockets.js';
import { freePort } from '../test/helpers/ports.js';
import { dynamicConfigArgs, startDevServer } from './dev-server.js';

describe('dynamicConfigArgs', () => {
  it('turns the unconstrained value of each key into a dev server flag', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-dc-'));
    const file = path.join(dir, 'dc.yaml');
    await fs.writeFile(
      file,
      ['a.flag:', '  - value: true', 'b.limit:', '  - value: 5', '    constraints: {namespace: x}', '  - value: 10', 'c.only:', '  - value: 1', '    constraints: {namespace: y}'].join('\n'),
    );
    expect(await dynamicConfigArgs(file)).toEqual(['--dynamic-config-value', 'a.flag=true', '--dynamic-config-value', 'b.limit=10']);
    await fs.rm(dir, { recursive: true });
  });

  it('parses the committed dynamic config file', async () => {
    const args = await dynamicConfigArgs();
    expect(args.length).toBeGreaterThan(0);
    expect(args.filter((_, i) => i % 2 === 0).every((a) => a === '--dynamic-config-value')).toBe(true);
  });
});

/** Whether a TCP connection to host:port is accepted (true) or refused (the error code). */
function dial(host: string, port: number): Promise<true | string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 5_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('ETIMEDOUT');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('the Temporal dev server', () => {
  // It has no authentication: anyone who reaches it can read and change every workflow.
  it('listens on loopback only: frontend, Web UI, HTTP API and metrics', { timeout: 120_000 }, async () => {
    const cliPath = inject('temporalCliPath');
    expect(cliPath, 'the test setup found no Temporal CLI on disk').not.toBe('');
    const uiPort = await freePort();
    const server = await startDevServer({ executable: { type: 'existing-path', path: cliPath }, namespace: 'default', uiPort });
    try {
      const port = Number(server.address.split(':').pop());
      const pid = await findProcess(['start-dev', '--port', String(port)]);
      expect(pid, 'the dev server process').toBeDefined();
      const listeners = await listeningSockets(pid as number);
      // The frontend, the UI, the HTTP API and metrics at least; whatever else it opens is held to the same rule.
      expect(listeners.length).toBeGreaterThanOrEqual(4);
      expect(listeners.map((l) => l.port)).toEqual(expect.arrayContaining([port, uiPort]));
      expect(listeners.filter((l) => l.address !== '127.0.0.1')).toEqual([]);

      expect(await dial('127.0.0.1', port)).toBe(true);
      expect(await dial('127.0.0.1', uiPort)).toBe(true);
      for (const address of externalAddresses()) {
        for (const listener of listeners) expect(`${address}:${listener.port} ${await dial(address, listener.port)}`).toBe(`${address}:${listener.port} ECONNREFUSED`);
      }
    } finally {
      await server.stop();
    }
  });
});
