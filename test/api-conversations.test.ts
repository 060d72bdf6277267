import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { productLogger } from './helpers/logs.js';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildApp } from '../api/app.js';
import { appendSessionEvent } from '../db/queries/session-events.js';
import { loadConfig } from '../lib/config.js';
import { TEST_ADMIN_TOKEN, withAdminToken } from './helpers/api-auth.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

// No worker polls this file's task queue: the runs stay open while the API's reads and refusals are tested.
describe('conversations API', () => {
  let database: TestDatabase;
  let connection: Connection;
  let client: Client;
  let app: FastifyInstance;
  let projectId: string;
  const started: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    connection = await Connection.connect({ address: inject('temporalAddress') });
    client = new Client({ connection, namespace: inject('temporalNamespace') });
    app = withAdminToken(buildApp({
      pool: database.pool,
      db: database.db,
      temporal: connection,
      client,
      taskQueue: `test-${randomUUID()}`,
      requestSettings: loadConfig({}).requests,
      logger: productLogger('api').logger,
      adminToken: TEST_ADMIN_TOKEN,
      temporalUiUrl: 'http://127.0.0.1:8233',
    }));
    const res = await app.inject({ method: 'POST', url: '/api/projects', payload: { name: 'Bakery', repoUrl: 'https://x.test/b.git' } });
    projectId = res.json().id;
  });
  afterAll(async () => {
    for (const id of started) await client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    await app?.close();
    await connection?.close();
    await database?.drop();
  });

  async function newConversation(text = 'Add a gift card page'): Promise<{ conversationId: string; workflowId: string }> {
    const res = await app.inject({ method: 'POST', url: `/api/projects/${projectId}/requests`, payload: { text } });
    expect(res.statusCode).toBe(202);
    started.push(res.json().workflowId);
    return res.json();
  }
  const setRow = (id: string, assignments: string, values: unknown[] = []) =>
    database.pool.query(`update advisor_conversations set ${assignments} where id = $1`, [id, ...values]);
  const signal = (id: string, action: string, payload?: object) =>
    app.inject({ method: 'POST', url: `/api/conversations/${id}/${action}`, ...(payload ? { payload } : {}) });
  it('shows a new conversation from Postgres, then its plan card and tasks as they are written', async () => {
    const { conversationId, workflowId } = await newConversation();
    const fresh = await app.inject({ method: 'GET', url: `/api/conversations/${conversationId}` });
    expect(fresh.statusCode).toBe(200);
    expect(fresh.json()).toEqual({
      id: conversationId,
      projectId,
      workflowId,
      status: 'running',
      phase: 'assisting',
      messages: [{ role: 'founder', content: 'Add a gift card page', timestamp: expect.stringMatching(/^\d{4}-/) }],
      plan: null,
      tasks: [],
      outcome: null,
      error: null,
      costUsd: 0,
      budgetPause: null,
      temporalUrl: `http://127.0.0.1:8233/namespaces/${inject('temporalNamespace')}/workflows/${workflowId}`,
    });

    const plan = { version: 2, summary: 'A gift card page', items: [{ module: 'code', text: 'Build the page' }], estimatedMinutes: 20 };
    await setRow(conversationId, `phase = 'executing', plan = $2, outcome = 'tasked', messages = messages || $3::jsonb`, [
      JSON.stringify(plan),
      JSON.stringify([{ id: 'm2', role: 'assist', content: 'Here is the plan', timestamp: '2030-01-01T00:00:00.000Z' }]),
    ]);
    const sessions = [
      ['page', 'Build the page', [], 'done', '2030-01-01T00:00:01Z'],
      ['copy', 'Write the copy', ['page'], 'running', '2030-01-01T00:00:02Z'],
    ] as const;
    for (const [key, title, dependsOn, status, at] of sessions) {
      await database.pool.query(
        `insert into agent_sessions (project_id, module, app_name, app_path, task, plan, status, conversation_id, task_key, tier, created_at)
         values ($1, 'code', 'bakery', '/w', $2, $3, $4, $5, $6, 'A', $7)`,
        [projectId, title, JSON.stringify({ title, dependsOn }), status, conversationId, key, at],
      );
    }

    const later = (await app.inject({ method: 'GET', url: `/api/conversations/${conversationId}` })).json();
    expect(later).toMatchObject({ phase: 'executing', plan, outcome: 'tasked' });
    expect(later.messages.map((m: { role: string }) => m.role)).toEqual(['founder', 'assist']);
    expect(later.tasks).toEqual([
      { id: 'page', title: 'Build the page', module: 'code', status: 'done', dependsOn: [], sessionId: expect.any(String), costUsd: 0 },
      { id: 'copy', title: 'Write the copy', module: 'code', status: 'running', dependsOn: ['page'], sessionId: expect.any(String), costUsd: 0 },
    ]);
  });

  it('answers 404 for an unknown conversation and 400 naming id for a malformed one', async () => {
    for (const path of ['', '/events', '/message']) {
      const method = path === '/message' ? 'POST' : 'GET';
      const unknown = await app.inject({ method, url: `/api/conversations/${randomUUID()}${path}`, ...(method === 'POST' ? { payload: { text: 'hi' } } : {}) });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error.code).toBe('conversation_not_found');
      const malformed = await app.inject({ method, url: `/api/conversations/42${path}`, ...(method === 'POST' ? { payload: { text: 'hi' } } : {}) });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().error).toMatchObject({ code: 'invalid_request', field: 'id' });
    }
  });

  // The verdicts on founder actions come from the workflow itself (test/founder-actions.test.ts, with a worker);
  // here, what the API refuses before it asks: malformed bodies and headers.
  it('refuses malformed founder actions before they reach the workflow, naming the field', async () => {
    const { conversationId } = await newConversation();
    for (const bad of [{ planVersion: 0 }, { planVersion: 1.5 }, { planVersion: '2' }, {}]) {
      const res = await signal(conversationId, 'confirm', bad);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.field).toBe('planVersion');
    }
    expect((await signal(conversationId, 'revise', { text: '' })).json().error.field).toBe('text');
    expect((await signal(conversationId, 'budget', { amountUsd: -1 })).json().error.field).toBe('amountUsd');
    const longKey = await app.inject({
      method: 'POST',
      url: `/api/conversations/${conversationId}/stop`,
      headers: { 'idempotency-key': 'k'.repeat(201) },
    });
    expect(longKey.statusCode).toBe(400);
    expect(longKey.json().error.field).toBe('idempotency-key');
  });

  it('answers 409 conversation_finished when the row or Temporal says the request is over', async () => {
    const done = await newConversation();
    await setRow(done.conversationId, `status = 'completed', phase = 'done'`);
    const byRow = await signal(done.conversationId, 'message', { text: 'hello?' });
    expect(byRow.statusCode).toBe(409);
    expect(byRow.json().error.code).toBe('conversation_finished');

    const closed = await newConversation();
    await client.workflow.getHandle(closed.workflowId).terminate('closed behind the row');
    const byTemporal = await signal(closed.conversationId, 'stop');
    expect(byTemporal.statusCode).toBe(409);
    expect(byTemporal.json().error.code).toBe('conversation_finished');
  });

  it('pages through a conversation stream with after and limit', async () => {
    const { conversationId } = await newConversation();
    const sessionId = randomUUID();
    for (let i = 1; i <= 5; i++) {
      await appendSessionEvent(database.db, { conversationId, sessionId: i === 3 ? sessionId : null, kind: `step-${i}`, payload: { i } });
    }
    const events = async (query: string) => app.inject({ method: 'GET', url: `/api/conversations/${conversationId}/events${query}` });

    const all = (await events('')).json().events;
    expect(all.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(all[2]).toEqual({ seq: 3, kind: 'step-3', sessionId, payload: { i: 3 }, at: expect.stringMatching(/^\d{4}-.*Z$/) });
    expect(all[0].sessionId).toBeNull();

    const page = (await events('?after=2&limit=2')).json().events;
    expect(page.map((e: { seq: number }) => e.seq)).toEqual([3, 4]);
    expect((await events('?after=5')).json()).toEqual({ events: [] });

    for (const [query, field] of [
      ['?after=-1', 'after'],
      ['?after=abc', 'after'],
      ['?limit=0', 'limit'],
      ['?limit=1001', 'limit'],
      ['?limit=1.5', 'limit'],
    ]) {
      const res = await events(query!);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'invalid_request', field });
    }
  });
});
