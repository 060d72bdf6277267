import { createHmac, randomUUID } from 'node:crypto';
import { execa } from 'execa';
import type { FastifyInstance } from 'fastify';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildApp } from '../api/app.js';
import { setProjectSecret } from '../db/queries/project-secrets.js';
import { listRecentRepoEvents } from '../db/queries/repo-events.js';
import { deploys, projects } from '../db/schema.js';
import { createDemoRepository } from '../demo/create-demo-repo.js';
import { testAppDeps, withAdminToken } from './helpers/api-auth.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { testDeps } from './helpers/deps.js';
import { eventually } from './helpers/poll.js';
import { connectTestClient, startTestWorker } from './helpers/temporal.js';

const SECRET = 'gitea-hook-secret';
const sign = (body: string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');

/** A push payload as Gitea sends it (modules/structs/hook.go), with `n` commits. */
function pushBody(n: number) {
  const commits = Array.from({ length: n }, (_, i) => ({
    id: i.toString(16).padStart(40, '0'),
    message: i === 0 ? 'x'.repeat(600) : `commit ${i}\n`,
    url: `https://git.example/acme/bakery/commit/${i}`,
    author: { name: 'Ada', email: 'ada@example.com', username: 'ada' },
    committer: { name: 'Ada', email: 'ada@example.com', username: 'ada' },
    timestamp: '2026-03-13T13:52:11-04:00',
    added: [],
    removed: [],
    modified: ['README.md'],
  }));
  return JSON.stringify({
    ref: 'refs/heads/main',
    before: '28e1879d029cb852e4844d9c718537df08844e03',
    after: 'bffeb74224043ba2feb48d137756c8a9331c449a',
    compare_url: 'https://git.example/acme/bakery/compare/a...b',
    commits,
    total_commits: n,
    repository: { id: 1, name: 'bakery', full_name: 'acme/bakery' },
    pusher: { id: 1, login: 'ada', username: 'ada', full_name: 'Ada' },
    sender: { id: 1, login: 'ada', username: 'ada' },
  });
}

describe('Gitea webhook and deploys API', () => {
  let database: TestDatabase;
  let temporal: Awaited<ReturnType<typeof connectTestClient>>;
  let app: FastifyInstance;
  let projectId: string;

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    temporal = await connectTestClient();
    app = withAdminToken(buildApp(testAppDeps(database, temporal)));
    const [row] = await database.db.insert(projects).values({ name: 'Bakery', repoUrl: '/srv/git/bakery.git', deploy: { kind: 'none' } }).returning();
    projectId = row!.id;
    await setProjectSecret(database.db, projectId, 'gitea_webhook_secret', SECRET);
  });
  afterAll(async () => {
    await app?.close();
    await temporal?.connection.close();
    await database?.drop();
  });

  const deliver = (body: string, headers: Record<string, string | undefined>, id = projectId) =>
    app.inject({
      method: 'POST',
      url: `/api/webhooks/gitea/${id}`,
      payload: body,
      headers: Object.fromEntries(Object.entries({ 'content-type': 'application/json', ...headers }).filter(([, v]) => v !== undefined)) as Record<string, string>,
    });
  const push = (body: string, delivery = randomUUID(), extra: Record<string, string | undefined> = {}) =>
    deliver(body, { 'x-gitea-event': 'push', 'x-gitea-delivery': delivery, 'x-gitea-signature': sign(body), ...extra });

  it('records a signed push, its commits trimmed to 50 with messages of at most 500 characters', async () => {
    const res = await push(pushBody(60));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ recorded: true });
    const [event] = await listRecentRepoEvents(database.db, projectId, 1);
    expect(event).toMatchObject({ kind: 'push', ref: 'refs/heads/main', after: 'bffeb74224043ba2feb48d137756c8a9331c449a', pusher: 'ada' });
    expect(event!.commits).toHaveLength(50);
    expect(event!.commits[0]).toEqual({ id: '0'.repeat(40), message: 'x'.repeat(500), author: 'Ada', timestamp: '2026-03-13T13:52:11-04:00' });
  });

  it('refuses a bad or missing signature with 401', async () => {
    const body = pushBody(1);
    const bad = await push(body, randomUUID(), { 'x-gitea-signature': sign(body, 'wrong-secret') });
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toMatchObject({ error: { code: 'invalid_signature' } });
    expect((await push(body, randomUUID(), { 'x-gitea-signature': undefined })).statusCode).toBe(401);
    // Signed, then changed: the signature covers the exact bytes.
    expect((await deliver(`${body} `, { 'x-gitea-event': 'push', 'x-gitea-delivery': randomUUID(), 'x-gitea-signature': sign(body) })).statusCode).toBe(401);
  });

  it('answers 404 for an unknown project and 401 for a project without a webhook secret', async () => {
    const res = await deliver(pushBody(1), { 'x-gitea-event': 'push', 'x-gitea-delivery': 'd', 'x-gitea-signature': sign(pushBody(1)) }, randomUUID());
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'project_not_found' } });
    const [other] = await database.db.insert(projects).values({ name: 'NoSecret', repoUrl: '/srv/git/x.git' }).returning();
    const noSecret = await deliver(pushBody(1), { 'x-gitea-event': 'push', 'x-gitea-delivery': 'd', 'x-gitea-signature': sign(pushBody(1)) }, other!.id);
    expect(noSecret.statusCode).toBe(401);
    expect(noSecret.json()).toMatchObject({ error: { code: 'webhook_not_configured' } });
  });

  it('ignores events other than push', async () => {
    const body = JSON.stringify({ action: 'opened', issue: { id: 1 } });
    const res = await deliver(body, { 'x-gitea-event': 'issues', 'x-gitea-delivery': randomUUID(), 'x-gitea-signature': sign(body) });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ recorded: false, ignored: 'issues' });
  });

  it('records a redelivered push once', async () => {
    const delivery = randomUUID();
    const body = pushBody(2);
    expect((await push(body, delivery)).json()).toEqual({ recorded: true });
    expect((await push(body, delivery)).json()).toEqual({ recorded: false });
    const events = await listRecentRepoEvents(database.db, projectId, 100);
    expect(events.filter((e) => e.deliveryId === delivery)).toHaveLength(1);
  });

  it('lists deploys newest first and redeploys an earlier commit through a workflow', async () => {
    const deps = await testDeps(database.db);
    const remote = await createDemoRepository({ stateDir: deps.home });
    const commit = (await execa('git', ['--git-dir', remote.bareDir, 'rev-parse', 'main'])).stdout.trim();
    const [project] = await database.db
      .insert(projects)
      .values({ name: 'Florist', repoUrl: remote.remoteUrl, deploy: { kind: 'command', command: 'echo "live: $(git rev-parse HEAD)"' } })
      .returning();
    const id = project!.id;
    const old = { projectId: id, kind: 'command', commit, status: 'succeeded', startedAt: new Date(Date.now() - 60_000), finishedAt: new Date() };
    const [earlier] = await database.db.insert(deploys).values({ ...old, conversationId: randomUUID() }).returning();
    const [later] = await database.db.insert(deploys).values({ ...old, commit: 'f'.repeat(40), conversationId: randomUUID(), status: 'failed', startedAt: new Date() }).returning();

    const list = await app.inject({ method: 'GET', url: `/api/projects/${id}/deploys` });
    expect(list.statusCode).toBe(200);
    expect(list.json().deploys.map((d: { id: string }) => d.id)).toEqual([later!.id, earlier!.id]);
    expect((await app.inject({ method: 'GET', url: `/api/projects/${randomUUID()}/deploys` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: `/api/projects/${id}/deploys/${randomUUID()}/redeploy` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: `/api/projects/${projectId}/deploys/${earlier!.id}/redeploy` })).statusCode).toBe(404);

    const redeploy = () => app.inject({ method: 'POST', url: `/api/projects/${id}/deploys/${earlier!.id}/redeploy`, headers: { 'idempotency-key': 'rollback-1' } });
    const res = await redeploy();
    expect(res.statusCode).toBe(202);
    const { deployId, workflowId } = res.json();
    expect(res.json()).toMatchObject({ workflowId: `redeploy-${deployId}`, commit, sourceDeployId: earlier!.id });
    const description = await temporal.client.workflow.getHandle(workflowId).describe();
    expect(description.type).toBe('redeployWorkflow');
    // The same key names the same deploy: a retried POST does not deploy twice.
    expect((await redeploy()).json().deployId).toBe(deployId);

    const worker = await startTestWorker(temporal.taskQueue, deps);
    try {
      const row = await eventually('the redeploy to finish', async () => {
        const [r] = await database.db.select().from(deploys).where(eq(deploys.id, deployId));
        return r && r.status !== 'started' ? r : undefined;
      });
      expect(row).toMatchObject({ status: 'succeeded', commit, conversationId: null, kind: 'command' });
      expect(row.logTail).toContain(`live: ${commit}`);
      const newest = (await app.inject({ method: 'GET', url: `/api/projects/${id}/deploys?limit=1` })).json().deploys;
      expect(newest).toEqual([expect.objectContaining({ id: deployId, status: 'succeeded' })]);
    } finally {
      await worker.stop();
      await deps.cleanup();
    }
  });

  it('refuses to redeploy for a project without a deployer', async () => {
    const [row] = await database.db.insert(deploys).values({ projectId, kind: 'command', commit: 'a'.repeat(40), status: 'succeeded' }).returning();
    const res = await app.inject({ method: 'POST', url: `/api/projects/${projectId}/deploys/${row!.id}/redeploy` });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: { code: 'no_deployer' } });
  });
});
