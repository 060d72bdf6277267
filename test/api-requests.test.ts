import { randomUUID } from 'node:crypto';
import { Client, Connection, defaultPayloadConverter, WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { productLogger } from './helpers/logs.js';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildApp, type AppDeps } from '../api/app.js';
import { PROJECT_ID, SESSION_STATUS } from '../core/search-attributes.js';
import { loadConfig } from '../lib/config.js';
import { requestWorkflowId } from '../workflows/request-contract.js';
import { TEST_ADMIN_TOKEN, withAdminToken } from './helpers/api-auth.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { freePort } from './helpers/ports.js';

// No worker polls this file's task queue: the request workflow is written elsewhere, and starting one is
// what the API promises. Its runs stay open until afterAll terminates them.
describe('POST /api/projects/:projectId/requests', () => {
  let database: TestDatabase;
  let connection: Connection;
  let client: Client;
  let deps: AppDeps;
  let app: FastifyInstance;
  let projectId: string;
  const started: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    connection = await Connection.connect({ address: inject('temporalAddress') });
    client = new Client({ connection, namespace: inject('temporalNamespace') });
    deps = {
      pool: database.pool,
      db: database.db,
      temporal: connection,
      client,
      taskQueue: `test-${randomUUID()}`,
      requestSettings: { ...loadConfig({}).requests, confirmTimeoutMs: 5_000 },
      logger: productLogger('api').logger,
      adminToken: TEST_ADMIN_TOKEN,
    };
    app = withAdminToken(buildApp(deps));
    const res = await app.inject({ method: 'POST', url: '/api/projects', payload: { name: 'Bakery', repoUrl: 'https://x.test/b.git' } });
    projectId = res.json().id;
  });
  afterAll(async () => {
    for (const id of started) await client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    await app?.close();
    await connection?.close();
    await database?.drop();
  });

  const ask = async (text: string, headers: Record<string, string> = {}, project = projectId) => {
    const res = await app.inject({ method: 'POST', url: `/api/projects/${project}/requests`, headers, payload: { text } });
    if (res.statusCode === 202) started.push(res.json().workflowId);
    return res;
  };
  const row = async (id: string) => (await database.pool.query('select * from advisor_conversations where id = $1', [id])).rows[0];

  it('stores the conversation and starts its workflow with the project as a search attribute', async () => {
    const res = await ask('  Add a gift card page  ');
    expect(res.statusCode).toBe(202);
    const { conversationId, workflowId } = res.json();
    expect(workflowId).toBe(requestWorkflowId(projectId, conversationId));

    const stored = await row(conversationId);
    expect(stored).toMatchObject({
      project_id: projectId,
      module: 'assist',
      status: 'running',
      phase: 'assisting',
      request_text: 'Add a gift card page',
      workflow_id: workflowId,
      idempotency_key: null,
    });
    expect(stored.messages).toEqual([
      { id: expect.any(String), role: 'founder', content: 'Add a gift card page', timestamp: expect.stringMatching(/^\d{4}-/) },
    ]);

    const handle = client.workflow.getHandle(workflowId);
    const description = await handle.describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.type).toBe('requestWorkflow');
    expect(description.taskQueue).toBe(deps.taskQueue);
    expect(description.typedSearchAttributes.get(PROJECT_ID)).toBe(projectId);
    expect(description.typedSearchAttributes.get(SESSION_STATUS)).toBe('assisting');

    const history = await handle.fetchHistory();
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    expect(defaultPayloadConverter.fromPayload(input!)).toEqual({
      projectId,
      conversationId,
      requestText: 'Add a gift card page',
      settings: deps.requestSettings,
    });
  });

  it('answers a retry with the same Idempotency-Key with the same conversation and starts nothing new', async () => {
    const key = `key-${randomUUID()}`;
    const first = await ask('Make the logo bigger', { 'idempotency-key': key });
    expect(first.statusCode).toBe(202);
    const runId = (await client.workflow.getHandle(first.json().workflowId).describe()).runId;

    const retry = await ask('Make the logo bigger (resent)', { 'idempotency-key': key });
    expect(retry.statusCode).toBe(202);
    expect(retry.json()).toEqual(first.json());
    expect((await client.workflow.getHandle(first.json().workflowId).describe()).runId).toBe(runId);
    const { rows } = await database.pool.query('select request_text from advisor_conversations where idempotency_key = $1', [key]);
    expect(rows).toEqual([{ request_text: 'Make the logo bigger' }]);
  });

  it('starts the stored workflow on a keyed retry when the first attempt never reached Temporal', async () => {
    const conversationId = randomUUID();
    const workflowId = requestWorkflowId(projectId, conversationId);
    await database.pool.query(
      `insert into advisor_conversations (id, project_id, module, request_text, workflow_id, idempotency_key)
       values ($1, $2, 'assist', 'Stored text', $3, 'orphan-key')`,
      [conversationId, projectId, workflowId],
    );
    const res = await ask('Retried text', { 'idempotency-key': 'orphan-key' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ conversationId, workflowId });
    expect((await client.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
  });

  it('does not run a finished request again on a keyed retry', async () => {
    const conversationId = randomUUID();
    const workflowId = requestWorkflowId(projectId, conversationId);
    await database.pool.query(
      `insert into advisor_conversations (id, project_id, module, status, phase, request_text, workflow_id, idempotency_key)
       values ($1, $2, 'assist', 'completed', 'done', 'Old', $3, 'done-key')`,
      [conversationId, projectId, workflowId],
    );
    const res = await ask('Old', { 'idempotency-key': 'done-key' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ conversationId, workflowId });
    await expect(client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it.each([
    ['text', '', {}],
    ['text', 'x'.repeat(8_001), {}],
    ['idempotency-key', 'fine', { 'idempotency-key': 'k'.repeat(201) }],
  ])('answers 400 naming %s', async (field, text, headers) => {
    const res = await ask(text, headers);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', field });
  });

  it('answers 404 for an unknown project and 400 for a malformed project id', async () => {
    const unknown = await ask('hello', {}, randomUUID());
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({ code: 'project_not_found' });
    const malformed = await ask('hello', {}, 'bakery');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toMatchObject({ code: 'invalid_request', field: 'projectId' });
  });

  it('answers 503 and closes the conversation when Temporal cannot be reached', async () => {
    const down = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
    const offline = withAdminToken(buildApp({ ...deps, temporal: down, client: new Client({ connection: down, namespace: inject('temporalNamespace') }) }));
    try {
      const res = await offline.inject({ method: 'POST', url: `/api/projects/${projectId}/requests`, payload: { text: 'Anyone there?' } });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('temporal_unavailable');
      const { rows } = await database.pool.query(`select status, error from advisor_conversations where request_text = 'Anyone there?'`);
      expect(rows).toEqual([{ status: 'failed', error: expect.stringMatching(/could not be started/) }]);
    } finally {
      await offline.close();
      await down.close();
    }
  });
});
