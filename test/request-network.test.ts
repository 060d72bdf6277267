import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarioSchema } from '../llm/scenario.js';
import { DEMO_DEPLOY_COMMAND } from '../demo/demo-project.js';
import { startRequestHarness } from './helpers/request-harness.js';
import { startStandInInternet, type StandInInternet } from './helpers/stand-in-internet.js';
import { TINY_PACKAGE, writeTinyRegistry } from './helpers/tiny-registry.js';
import { planReply } from './helpers/scenarios.js';

describe("a project's network switch for agent commands", () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let internet: StandInInternet;
  let host: http.Server;
  let registry: string;
  beforeAll(async () => {
    // The internet, standing in a network namespace of its own; and a service on the host's loopback, which a
    // project allowed the network must still not reach.
    registry = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-registry-'));
    internet = await startStandInInternet('hello from the network', registry);
    await writeTinyRegistry(registry, internet.url);
    host = http.createServer((_req, res) => res.end('hello from the host'));
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    const { port } = host.address() as AddressInfo;
    const fetchOne = (url: string, label: string) =>
      `fetch('${url}', { signal: AbortSignal.timeout(5000) }).then(async (r) => console.log('${label}:', await r.text()), () => console.log('${label}: unreachable'))`;
    // And a package install, as an agent does it, from a registry on that internet.
    const install = `mkdir -p /tmp/app && cd /tmp/app && npm init -y >/dev/null && npm install --no-audit --no-fund --fetch-retries=0 --fetch-timeout=5000 --registry ${internet.url} ${TINY_PACKAGE} >/dev/null 2>&1 && node -p "'installed: ' + require('${TINY_PACKAGE}')" || echo 'install failed'`;
    const probe = `node -e "${fetchOne(internet.url, 'internet')}; ${fetchOne(`http://127.0.0.1:${port}/`, 'host')}"; ${install}`;
    const scenario = scenarioSchema.parse({
      name: 'network',
      match: '^network\\b',
      assist: [planReply('Fetch something')],
      advisors: { code: { summary: 'x', tasks: [{ title: 'x', instructions: 'x', complexity: 'simple' }] } },
      orchestrator: [{ tasks: [{ id: 'fetch', title: 'Fetch', instructions: 'x', module: 'code', tier: 'B', dependsOn: [] }] }],
      agents: { fetch: [{ tool: 'execute_command', input: { command: probe } }, { tool: 'finish', input: { summary: 'tried' } }] },
      followUp: { text: 'Done.' },
    });
    h = await startRequestHarness([scenario]);
  });
  afterAll(async () => {
    await h?.stop();
    host?.close();
    await internet?.close();
    await fs.rm(registry, { recursive: true, force: true });
  });

  const probeOutput = async (allowNetwork: boolean) => {
    const res = await h.call('POST', '/api/projects', {
      name: `net-${allowNetwork}`,
      repoUrl: h.remote.remoteUrl,
      deploy: { kind: 'command', command: DEMO_DEPLOY_COMMAND },
      allowNetwork,
    });
    const { conversationId } = await h.runConfirmed(res.body.id, 'network please');
    const result = (await h.events(conversationId)).find((e) => e.kind === 'agent.tool_result' && e.payload.name === 'execute_command');
    return String(result?.payload.output);
  };

  it('keeps commands off the network by default', async () => {
    const output = await probeOutput(false);
    expect(output).toContain('internet: unreachable');
    expect(output).toContain('host: unreachable');
    expect(output).toContain('install failed');
  });

  it('lets them out to the internet, never to the host, when the project allows it', async () => {
    const output = await probeOutput(true);
    expect(output).toContain('internet: hello from the network');
    expect(output).toContain('host: unreachable');
    expect(output).toContain('installed: hello from the registry');
  });
});
