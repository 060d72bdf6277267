import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarioSchema } from '../llm/scenario.js';
import { DEMO_DEPLOY_COMMAND } from '../demo/demo-project.js';
import { startRequestHarness } from './helpers/request-harness.js';
import { planReply } from './helpers/scenarios.js';

describe("a project's network switch for agent commands", () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let server: http.Server;
  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end('hello from the network'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const probe = `node -e "fetch('http://127.0.0.1:${port}/').then(async (r) => console.log('reached:', await r.text())).catch(() => { console.log('no network'); process.exit(1); })"`;
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
    server?.close();
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
    expect(await probeOutput(false)).toContain('no network');
  });

  it('lets them out when the project allows it', async () => {
    expect(await probeOutput(true)).toContain('reached: hello from the network');
  });
});
