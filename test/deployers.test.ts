import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { execa } from 'execa';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, inject } from 'vitest';
import { createDeployActivities, type DeployOutcome, type DeployWorkInput } from '../activities/deploy.js';
import { setProjectSecret } from '../db/queries/project-secrets.js';
import { listSessionEvents } from '../db/queries/session-events.js';
import { deploys, projects } from '../db/schema.js';
import { createDemoRepository } from '../demo/create-demo-repo.js';
import { DEMO_DEPLOY_COMMAND, demoSiteDir } from '../demo/demo-project.js';
import { sandboxUser } from '../runtime/sandbox/sandbox-user.js';
import { createCommandDeployer } from '../runtime/deploy/command-deployer.js';
import { createCoolifyDeployer } from '../runtime/deploy/coolify-deployer.js';
import { DeployHttpError } from '../runtime/deploy/deploy-http-error.js';
import type { DeployProgress } from '../runtime/deploy/deployer.js';
import { createWebhookDeployer, signBody } from '../runtime/deploy/webhook-deployer.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { testDeps } from './helpers/deps.js';
import { startFakeCoolify, type FakeCoolify } from './fakes/coolify-server.js';

const COMMIT = 'a'.repeat(40);
const input = (progress: DeployProgress[] = []) => ({ commit: COMMIT, workdir: '/nonexistent', env: {}, onProgress: (p: DeployProgress) => void progress.push(p) });

describe('coolify deployer', () => {
  let coolify: FakeCoolify;
  beforeEach(async () => {
    coolify = await startFakeCoolify();
  });
  afterEach(() => coolify.close());
  const deployer = (overrides: Partial<Parameters<typeof createCoolifyDeployer>[0]> = {}) =>
    createCoolifyDeployer({ baseUrl: coolify.baseUrl, applicationUuid: coolify.applicationUuid, token: coolify.token, url: 'https://app.example', timeoutMs: 5_000, pollMs: 20, ...overrides });

  it('queues a deployment, polls until it finishes and reports the build log', async () => {
    coolify.script = { outcome: 'finished', afterPolls: 2, logs: ['Building image', 'Build complete'], commit: COMMIT };
    const progress: DeployProgress[] = [];
    const result = await deployer().deploy(input(progress));

    expect(result).toMatchObject({ ok: true, status: 'succeeded', url: 'https://app.example', deploymentId: coolify.deployments()[0] });
    expect(result.logTail).toContain('Build complete');
    expect(coolify.requests[0]).toEqual({ method: 'GET', path: '/api/v1/deploy', query: { uuid: coolify.applicationUuid, force: 'false' }, authorized: true });
    expect(coolify.requests.slice(1).map((r) => r.path)).toEqual(Array(3).fill(`/api/v1/deployments/${result.deploymentId}`));
    expect(progress.map((p) => p.phase)).toEqual(['started', 'waiting', 'waiting', 'done']);
  });

  it('reports a failed build as failed, with its log and no token in it', async () => {
    coolify.script = { outcome: 'failed', afterPolls: 1, logs: [`curl -H "Authorization: Bearer ${coolify.token}"`, 'npm ERR! build failed'] };
    const result = await deployer().deploy(input());
    expect(result).toMatchObject({ ok: false, status: 'failed' });
    expect(result.logTail).toContain('npm ERR! build failed');
    expect(result.logTail).toContain('ended with status failed');
    expect(result.logTail).not.toContain(coolify.token);
    expect(result.logTail).not.toContain(coolify.token.split('|')[1]);
  });

  it('stops waiting at its timeout and says the deploy timed out', async () => {
    coolify.script = { outcome: 'never', logs: ['Still building'] };
    const started = Date.now();
    const result = await deployer({ timeoutMs: 300, pollMs: 50 }).deploy(input());
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result).toMatchObject({ ok: false, status: 'timed_out' });
    expect(result.logTail).toMatch(/still in_progress after .* VIBN stopped waiting/);
  });

  it('refuses a wrong token as a non-retryable error, without the token in it', async () => {
    const wrong = 'nope-this-is-wrong';
    const error = await deployer({ token: wrong }).deploy(input()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployHttpError);
    expect(error).toMatchObject({ service: 'coolify', status: 401, retryable: false });
    expect((error as Error).message).not.toContain(wrong);
    expect(coolify.deployments()).toHaveLength(0);
  });

  it('makes a 5xx or an unreachable server a retryable error; the next attempt succeeds', async () => {
    coolify.failNext(500);
    await expect(deployer().deploy(input())).rejects.toMatchObject({ name: 'DeployHttpError', status: 500, retryable: true });
    await expect(deployer().deploy(input())).resolves.toMatchObject({ ok: true, status: 'succeeded' });
    await expect(deployer({ baseUrl: 'http://127.0.0.1:1' }).deploy(input())).rejects.toMatchObject({ status: undefined, retryable: true });
  });

  it('says so when the token may not read the build logs', async () => {
    coolify.hideLogs = true;
    expect(await deployer().deploy(input())).toMatchObject({ status: 'succeeded', logTail: expect.stringContaining('read:sensitive') });
  });
});

describe('webhook deployer', () => {
  let server: Server;
  let hookUrl: string;
  let received: Array<{ headers: IncomingMessage['headers']; body: string }>;
  let answer: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        received.push({ headers: req.headers, body });
        const signed = req.headers['x-vibn-signature'];
        // The receiver's side of the contract: recompute the HMAC over the raw body.
        const ok = signed === undefined || signed === signBody(body, 'hook-secret-123');
        res.writeHead(ok ? answer : 401).end(ok ? 'queued' : 'bad signature');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/deploy`;
  });
  beforeEach(() => {
    received = [];
    answer = 202;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const deployer = (secret?: string) =>
    createWebhookDeployer({ webhookUrl: hookUrl, secret, timeoutMs: 5_000, project: { id: 'p1', name: 'Bakery' }, conversationId: 'c1', deployId: 'd1' });

  it('POSTs the commit, signed, and succeeds on 2xx', async () => {
    const result = await deployer('hook-secret-123').deploy(input());
    expect(result).toMatchObject({ ok: true, status: 'succeeded' });
    expect(result.logTail).toContain('answered 202');
    expect(JSON.parse(received[0]!.body)).toEqual({ commit: COMMIT, project: { id: 'p1', name: 'Bakery' }, conversationId: 'c1', deployId: 'd1' });
    expect(received[0]!.headers['x-vibn-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(received[0]!.headers['x-vibn-delivery']).toBe('d1');
  });

  it('sends no signature without a secret, and a wrong one is refused', async () => {
    await deployer().deploy(input());
    expect(received[0]!.headers['x-vibn-signature']).toBeUndefined();
    await expect(deployer('another-secret').deploy(input())).rejects.toMatchObject({ status: 401, retryable: false });
  });

  it('makes a 5xx retryable and a 4xx final', async () => {
    answer = 503;
    await expect(deployer().deploy(input())).rejects.toMatchObject({ service: 'webhook', status: 503, retryable: true });
    answer = 404;
    await expect(deployer().deploy(input())).rejects.toMatchObject({ status: 404, retryable: false });
  });
});

describe('command deployer', () => {
  it('reports a command stopped at its timeout as timed out', async () => {
    const result = await createCommandDeployer({ command: 'echo going; sleep 5', timeoutMs: 200 }).deploy({ ...input(), workdir: '/tmp' });
    expect(result).toMatchObject({ ok: false, status: 'timed_out' });
    expect(result.logTail).toContain('going');
  });
});

describe('deploy activity', () => {
  let database: TestDatabase;
  let deps: Awaited<ReturnType<typeof testDeps>>;
  let coolify: FakeCoolify;
  let activities: ReturnType<typeof createDeployActivities>;
  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    deps = await testDeps(database.db);
    coolify = await startFakeCoolify();
    activities = createDeployActivities(deps);
  });
  afterAll(async () => {
    await coolify?.close();
    await deps?.cleanup();
    await database?.drop();
  });

  const createProject = async (deploy: Record<string, unknown>, repoUrl = '/srv/git/none.git') => {
    const [row] = await database.db.insert(projects).values({ name: `p-${randomUUID()}`, repoUrl, deploy }).returning({ id: projects.id });
    return row!.id;
  };
  const coolifyProject = async () => {
    const id = await createProject({ kind: 'coolify', baseUrl: coolify.baseUrl, applicationUuid: coolify.applicationUuid, url: 'https://bakery.example', pollSeconds: 0.05 });
    await setProjectSecret(database.db, id, 'coolify_token', coolify.token);
    return id;
  };
  /** Runs the activity as Temporal would on attempt `attempt`, its expected-failure warnings silenced. */
  const run = (workInput: DeployWorkInput, env = mockEnv()) => env.run(activities.deployWork, workInput) as Promise<DeployOutcome>;
  const mockEnv = (attempt = 1) => new MockActivityEnvironment({ attempt }, { logger: new DefaultLogger('ERROR') });
  const rowOf = async (conversationId: string) => (await database.db.select().from(deploys).where(eq(deploys.conversationId, conversationId)))[0]!;

  it('records the deploy with its log tail, never the token, and does not deploy twice', async () => {
    const projectId = await coolifyProject();
    const conversationId = randomUUID();
    coolify.script = { outcome: 'finished', afterPolls: 1, logs: [`token was ${coolify.token}`, 'Deployed!'] };
    const heartbeats: unknown[] = [];
    const env = mockEnv();
    env.on('heartbeat', (d: unknown) => heartbeats.push(d));
    const before = coolify.deployments().length;

    const first = await run({ projectId, conversationId, workdir: '/nonexistent', commit: COMMIT }, env);
    expect(first).toMatchObject({ status: 'succeeded', url: 'https://bakery.example' });
    const row = await rowOf(conversationId);
    expect(row).toMatchObject({ status: 'succeeded', kind: 'coolify', commit: COMMIT, url: 'https://bakery.example' });
    expect(row.logTail).toContain('Deployed!');
    expect(row.logTail).not.toContain(coolify.token);
    expect(heartbeats).toContainEqual(expect.objectContaining({ phase: 'started', deploymentId: expect.any(String) }));

    const again = await run({ projectId, conversationId, workdir: '/nonexistent', commit: COMMIT });
    expect(again).toEqual({ status: 'succeeded', url: 'https://bakery.example', logTail: row.logTail, deployId: row.id });
    expect(coolify.deployments().length).toBe(before + 1);
    const events = (await listSessionEvents(database.db, conversationId)).filter((e) => e.kind === 'deploy');
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events[0]!.payload)).not.toContain(coolify.token);
  });

  it('records and returns a failed build instead of throwing', async () => {
    const projectId = await coolifyProject();
    const conversationId = randomUUID();
    coolify.script = { outcome: 'failed', afterPolls: 0, logs: ['error: missing module'] };
    expect(await run({ projectId, conversationId, workdir: '/x', commit: COMMIT })).toMatchObject({ status: 'failed' });
    expect((await rowOf(conversationId)).logTail).toContain('error: missing module');
  });

  it('throws a retryable failure for Temporal to retry, and records it on the last attempt', async () => {
    const projectId = await coolifyProject();
    const conversationId = randomUUID();
    coolify.failNext(502);
    await expect(run({ projectId, conversationId, workdir: '/x', commit: COMMIT })).rejects.toMatchObject({ retryable: true });
    expect((await rowOf(conversationId)).status).toBe('started');

    coolify.failNext(502);
    const last = await run({ projectId, conversationId, workdir: '/x', commit: COMMIT }, mockEnv(3));
    expect(last.status).toBe('failed');
    expect(last.logTail).toMatch(/still failing after 3 attempts: .*answered 502/);
  });

  it('fails plainly when the Coolify token is missing', async () => {
    const projectId = await createProject({ kind: 'coolify', baseUrl: coolify.baseUrl, applicationUuid: coolify.applicationUuid });
    const outcome = await run({ projectId, conversationId: randomUUID(), workdir: '/x', commit: COMMIT });
    expect(outcome).toMatchObject({ status: 'failed', logTail: expect.stringContaining('coolify_token') });
  });

  it('redeploys an earlier commit from a fresh checkout, keyed by its deploy id', async () => {
    const remote = await createDemoRepository({ stateDir: deps.home });
    const projectId = await createProject({ kind: 'command', command: 'echo "live: $(git rev-parse HEAD)"' }, remote.remoteUrl);
    const commit = (await execa('git', ['--git-dir', remote.bareDir, 'rev-parse', 'main'])).stdout.trim();
    const deployId = randomUUID();

    const outcome = await run({ projectId, commit, deployId, conversationId: null });
    expect(outcome).toMatchObject({ status: 'succeeded', deployId });
    expect(outcome.logTail).toContain(`live: ${commit}`);
    const [row] = await database.db.select().from(deploys).where(eq(deploys.id, deployId));
    expect(row).toMatchObject({ conversationId: null, status: 'succeeded', commit });
    const again = await run({ projectId, commit, deployId, conversationId: null });
    expect(again.logTail).toBe(outcome.logTail);

    const missing = await run({ projectId, commit: 'b'.repeat(40), deployId: randomUUID() });
    expect(missing).toMatchObject({ status: 'failed', logTail: expect.stringContaining('has no commit') });
  });

  it('runs a command deploy as the unprivileged sandbox user, publishing into VIBN_SITES, and never publishes a symlink', async () => {
    const remote = await createDemoRepository({ stateDir: deps.home });
    // The project's code plants a link to a host secret in the folder the site is published from.
    const clone = path.join(deps.home, 'planting');
    await execa('git', ['clone', '-q', remote.remoteUrl, clone]);
    await fs.symlink('/etc/shadow', path.join(clone, 'public', 'leak.txt'));
    await execa('git', ['add', '-A'], { cwd: clone });
    await execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'plant a link'], { cwd: clone });
    await execa('git', ['push', '-q', 'origin', 'HEAD:main'], { cwd: clone });
    const commit = (await execa('git', ['rev-parse', 'HEAD'], { cwd: clone })).stdout.trim();
    const projectId = await createProject({ kind: 'command', command: `id -u; ${DEMO_DEPLOY_COMMAND}` }, remote.remoteUrl);

    const outcome = await run({ projectId, commit, deployId: randomUUID(), conversationId: null });
    expect(outcome).toMatchObject({ status: 'succeeded' });
    expect(outcome.logTail!.split('\n')[0]).toBe(String(sandboxUser()?.uid ?? process.getuid!()));
    const release = path.join(demoSiteDir(deps.home), 'current');
    expect(await fs.readFile(path.join(release, 'index.html'), 'utf8')).toContain('<');
    await expect(fs.lstat(path.join(release, 'leak.txt'))).rejects.toThrow();
    expect(outcome.logTail).toContain('leak.txt: not a regular file');
  });
});

