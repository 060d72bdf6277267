/**
 * The whole request path for a test: a fresh database, a state folder with the demo repository as the
 * project's git remote, an in-process worker on a scripted provider, and the real HTTP API (app.inject).
 */
import { productLogger } from './logs.js';
import { inject } from 'vitest';
import { buildApp } from '../../api/app.js';
import { createDemoRepository } from '../../demo/create-demo-repo.js';
import type { Scenario } from '../../llm/scenario.js';
import type { RequestSettings } from '../../workflows/request-contract.js';
import { bearer, TEST_ADMIN_TOKEN } from './api-auth.js';
import { createTestDatabase } from './database.js';
import { testDeps } from './deps.js';
import { eventually } from './poll.js';
import { connectTestClient, startTestWorker } from './temporal.js';

import { DEMO_DEPLOY_COMMAND } from '../../demo/demo-project.js';

export type Conversation = {
  id: string;
  status: string;
  phase: string;
  plan: { version: number; summary: string; items: unknown[]; estimatedMinutes: number } | null;
  tasks: Array<{ id: string; title: string; module: string; status: string; dependsOn: string[] }>;
  outcome: string | null;
  error: string | null;
  messages: Array<{ role: string; content: string }>;
};

export async function startRequestHarness(
  scenarios: Scenario[],
  settings: Partial<RequestSettings> = {},
  options: { inProcessWorker?: boolean; deps?: Parameters<typeof testDeps>[2]; bwrapPath?: string } = {},
) {
  const database = await createTestDatabase(inject('databaseUrl'));
  const deps = await testDeps(database.db, scenarios, options.deps);
  const remote = await createDemoRepository({ stateDir: deps.home });
  const temporal = await connectTestClient();
  const worker = options.inProcessWorker === false ? undefined : await startTestWorker(temporal.taskQueue, deps);
  const app = buildApp({
    pool: database.pool,
    db: database.db,
    temporal: temporal.connection,
    client: temporal.client,
    taskQueue: temporal.taskQueue,
    requestSettings: { confirmTimeoutMs: 120_000, maxParallelTasks: 3, agentMaxSteps: 20, agentMaxWallMs: 300_000, ...settings },
    logger: productLogger('api').logger,
    home: deps.home,
    adminToken: TEST_ADMIN_TOKEN,
    consoleDir: decodeURIComponent(new URL('../../console/dist', import.meta.url).pathname),
    bwrapPath: options.bwrapPath,
  });

  /** One API call, authenticated with the admin token unless `token` names another. */
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, token = TEST_ADMIN_TOKEN) => {
    const res = await app.inject({ method, url, payload: payload as object | undefined, headers: bearer(token) });
    return { status: res.statusCode, body: res.body ? res.json() : null };
  };

  const createProject = async (name = 'demo', deploy: unknown = { kind: 'command', command: DEMO_DEPLOY_COMMAND }) => {
    const res = await call('POST', '/api/projects', { name, repoUrl: remote.remoteUrl, deploy });
    if (res.status !== 201) throw new Error(`project not created: ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };

  const startRequest = async (projectId: string, text: string) => {
    const res = await call('POST', `/api/projects/${projectId}/requests`, { text });
    if (res.status !== 202) throw new Error(`request not accepted: ${JSON.stringify(res.body)}`);
    return res.body as { conversationId: string; workflowId: string };
  };

  const conversation = async (id: string) => (await call('GET', `/api/conversations/${id}`)).body as Conversation;

  /** Polls the conversation (through the API) until `done` holds. */
  const waitFor = (id: string, what: string, done: (c: Conversation) => boolean, timeoutMs = 90_000) =>
    eventually(
      what,
      async () => {
        const c = await conversation(id);
        return done(c) ? c : undefined;
      },
      timeoutMs,
    );

  /** Starts a request, confirms its first plan card, runs `whileRunning`, and waits for the request to end. */
  const runConfirmed = async (projectId: string, text: string, whileRunning: (conversationId: string) => Promise<unknown> = async () => undefined) => {
    const { conversationId } = await startRequest(projectId, text);
    await waitFor(conversationId, 'the plan card', (c) => c.phase === 'awaiting_confirmation');
    await call('POST', `/api/conversations/${conversationId}/confirm`, { planVersion: 1 });
    await whileRunning(conversationId);
    return { conversationId, done: await waitFor(conversationId, 'the end', (c) => c.status !== 'running', 120_000) };
  };

  const events = async (id: string) => (await call('GET', `/api/conversations/${id}/events?limit=1000`)).body.events as Array<{ seq: number; kind: string; payload: Record<string, unknown>; sessionId?: string | null }>;

  return {
    database,
    deps,
    remote,
    temporal,
    worker,
    app,
    call,
    createProject,
    startRequest,
    conversation,
    waitFor,
    runConfirmed,
    events,
    async stop() {
      await worker?.stop();
      await app.close();
      await temporal.connection.close();
      await database.drop();
      await deps.cleanup();
    },
  };
}
