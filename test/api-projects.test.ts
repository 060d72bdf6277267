import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { productLogger } from './helpers/logs.js';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildApp } from '../api/app.js';
import { loadConfig } from '../lib/config.js';
import { bearer, TEST_ADMIN_TOKEN, withAdminToken } from './helpers/api-auth.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { externalAddresses } from './helpers/listening-sockets.js';
import { eq } from 'drizzle-orm';
import { gitCredentials } from '../db/queries/project-secrets.js';
import { projects } from '../db/schema.js';
import { CredentialsWithheldError, withGitAuth } from '../runtime/git/credentials.js';

describe('projects API', () => {
  let database: TestDatabase;
  let connection: Connection;
  let app: FastifyInstance;

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    connection = await Connection.connect({ address: inject('temporalAddress') });
    app = withAdminToken(buildApp({
      pool: database.pool,
      db: database.db,
      temporal: connection,
      client: new Client({ connection, namespace: inject('temporalNamespace') }),
      taskQueue: `test-${randomUUID()}`,
      requestSettings: loadConfig({}).requests,
      logger: productLogger('api').logger,
      adminToken: TEST_ADMIN_TOKEN,
    }));
  });
  afterAll(async () => {
    await app?.close();
    await connection?.close();
    await database?.drop();
  });

  const post = (payload: unknown) => app.inject({ method: 'POST', url: '/api/projects', payload: payload as object });

  it('creates a project with defaults, then lists it and gets it by id', async () => {
    const res = await post({ name: 'Bakery', repoUrl: 'https://github.com/acme/bakery.git' });
    expect(res.statusCode).toBe(201);
    const { id } = res.json();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const got = await app.inject({ method: 'GET', url: `/api/projects/${id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual({
      id,
      name: 'Bakery',
      repoUrl: 'https://github.com/acme/bakery.git',
      defaultBranch: 'main',
      timezone: 'UTC',
      deploy: { kind: 'none' },
      allowNetwork: false,
      briefingTime: '08:00',
      monthlyBudgetUsd: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    const full = await post({
      name: 'Florist',
      repoUrl: '/srv/git/florist.git',
      defaultBranch: 'trunk',
      deploy: { kind: 'command', command: 'npm run deploy', url: 'https://florist.example', timeoutSeconds: 120 },
      timezone: 'Europe/Paris',
    });
    expect(full.statusCode).toBe(201);

    const list = await app.inject({ method: 'GET', url: '/api/projects' });
    expect(list.statusCode).toBe(200);
    const { projects } = list.json();
    expect(projects.map((p: { name: string }) => p.name)).toEqual(['Bakery', 'Florist']);
    expect(projects[1]).toMatchObject({
      id: full.json().id,
      defaultBranch: 'trunk',
      timezone: 'Europe/Paris',
      deploy: { kind: 'command', command: 'npm run deploy', url: 'https://florist.example', timeoutSeconds: 120 },
    });
  });

  it("lets a project token change its project's own settings, but not the ones that reach the server", async () => {
    const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
    const created = await app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: admin,
      payload: { name: 'Tenant', repoUrl: 'https://git.example/tenant.git', deploy: { kind: 'command', command: 'make deploy' } },
    });
    const id = created.json().id as string;
    const token = (await app.inject({ method: 'POST', url: `/api/projects/${id}/tokens`, headers: admin })).json().token as string;
    const patch = (payload: object, auth = { authorization: `Bearer ${token}` }) =>
      app.inject({ method: 'PATCH', url: `/api/projects/${id}`, headers: auth, payload });

    const refused = [
      [{ deploy: { kind: 'command', command: 'cat /etc/shadow' } }, 'deploy'],
      [{ allowNetwork: true }, 'allowNetwork'],
      [{ repoUrl: '/var/lib/vibn/git/other-project.git' }, 'repoUrl'],
      [{ repoUrl: 'file:///var/lib/vibn/git/other-project.git' }, 'repoUrl'],
      [{ timezone: 'Europe/Paris', repoUrl: '/tmp/other.git' }, 'repoUrl'],
      // Deployers the server calls for the project: never at itself, a private network or in clear.
      [{ deploy: { kind: 'webhook', webhookUrl: 'https://127.0.0.1:8233/api/v1/namespaces' } }, 'deploy.webhookUrl'],
      [{ deploy: { kind: 'webhook', webhookUrl: 'https://localhost/hook' } }, 'deploy.webhookUrl'],
      [{ deploy: { kind: 'webhook', webhookUrl: 'http://203.0.113.20/hook' } }, 'deploy.webhookUrl'],
      [{ deploy: { kind: 'coolify', baseUrl: 'https://10.0.0.5', applicationUuid: 'a' } }, 'deploy.baseUrl'],
      [{ deploy: { kind: 'coolify', baseUrl: 'https://169.254.169.254', applicationUuid: 'a' } }, 'deploy.baseUrl'],
    ] as const;
    for (const [body, field] of refused) {
      const res = await patch(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(403);
      expect(res.json().error).toMatchObject({ code: 'admin_only', field });
    }
    const unchanged = (await app.inject({ method: 'GET', url: `/api/projects/${id}`, headers: admin })).json();
    expect(unchanged).toMatchObject({ timezone: 'UTC', allowNetwork: false, repoUrl: 'https://git.example/tenant.git', deploy: { kind: 'command', command: 'make deploy' } });

    // Its own settings, a remote repository, another deployer, and the operator's settings sent back unchanged.
    const ok = await patch({ timezone: 'Europe/Paris', allowNetwork: false, deploy: { kind: 'command', command: 'make deploy' }, repoUrl: 'git@203.0.113.9:tenant/app.git' });
    expect(ok.statusCode).toBe(200);
    expect((await patch({ deploy: { kind: 'webhook', webhookUrl: 'https://203.0.113.20/hook' } })).statusCode).toBe(200);
    // The admin token may change all of them.
    expect((await patch({ deploy: { kind: 'command', command: 'make ship' }, allowNetwork: true, repoUrl: '/srv/git/tenant.git' }, admin)).statusCode).toBe(200);
  });

  it("refuses a project token's repository URL that leads to this server or a private network, naming repoUrl", async () => {
    const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
    const created = await app.inject({ method: 'POST', url: '/api/projects', headers: admin, payload: { name: 'Inside', repoUrl: 'https://203.0.113.5/inside.git' } });
    const id = created.json().id as string;
    const token = (await app.inject({ method: 'POST', url: `/api/projects/${id}/tokens`, headers: admin })).json().token as string;
    const setRepoUrl = (repoUrl: string, auth = `Bearer ${token}`) =>
      app.inject({ method: 'PATCH', url: `/api/projects/${id}`, headers: { authorization: auth }, payload: { repoUrl } });

    const inside = [
      'http://203.0.113.5/plain-http.git',
      'https://127.0.0.1/x.git',
      'https://127.9.9.9:8443/x.git',
      'https://localhost/x.git',
      'ssh://git@localhost.:22/x.git',
      'https://api.localhost/x.git',
      `https://${os.hostname()}/x.git`,
      'https://2130706433/x.git',
      'https://0x7f.1/x.git',
      'https://0.0.0.0/x.git',
      'https://10.1.2.3/x.git',
      'git://172.16.5.4/x.git',
      'git@192.168.1.20:acme/x.git',
      'https://169.254.169.254/latest/meta-data',
      'https://100.64.1.1/x.git',
      'https://[::1]/x.git',
      'ssh://git@[fd00::2]/x.git',
      'ssh://git@[fe80::1]/x.git',
      'https://[::ffff:127.0.0.1]/x.git',
      'https://[::]/x.git',
      'https://github.com\\@127.0.0.1/x.git',
      '/srv/git/other.git',
      'file:///srv/git/other.git',
    ];
    for (const address of externalAddresses()) inside.push(`https://${address.includes(':') ? `[${address}]` : address}/x.git`);
    for (const repoUrl of inside) {
      const res = await setRepoUrl(repoUrl);
      expect(res.statusCode, repoUrl).toBe(403);
      expect(res.json().error, repoUrl).toMatchObject({ code: 'admin_only', field: 'repoUrl', message: expect.stringContaining('repo') });
    }
    // A host that cannot be resolved cannot be judged: refused too, with its own code.
    const unresolved = await setRepoUrl('https://no-such-host.invalid/x.git');
    expect(unresolved.statusCode).toBe(400);
    expect(unresolved.json().error).toMatchObject({ code: 'unresolvable_host', field: 'repoUrl', message: expect.stringContaining('repoUrl') });
    expect((await app.inject({ method: 'GET', url: `/api/projects/${id}`, headers: admin })).json().repoUrl).toBe('https://203.0.113.5/inside.git');

    // A public address is the project's to choose, in each accepted form.
    for (const repoUrl of ['https://203.0.113.7/acme/shop.git', 'ssh://git@203.0.113.7:2222/acme/shop.git', 'git://203.0.113.7/acme/shop.git', 'git@203.0.113.7:acme/shop.git', 'https://[2606:4700::1111]/x.git']) {
      const res = await setRepoUrl(repoUrl);
      expect(res.statusCode, repoUrl).toBe(200);
      expect(res.json().repoUrl).toBe(repoUrl);
    }
    // The admin may set anything.
    for (const repoUrl of ['https://127.0.0.1/x.git', '/srv/git/inside.git', 'http://10.1.2.3/x.git']) expect((await setRepoUrl(repoUrl, admin.authorization)).statusCode, repoUrl).toBe(200);
  });

  it('records who set the repository URL, and withholds git credentials from an inside host the admin did not set', async () => {
    const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
    const adminsUrl = 'https://127.0.0.1:9/admins.git';
    const id = (await app.inject({ method: 'POST', url: '/api/projects', headers: admin, payload: { name: 'Credentials', repoUrl: adminsUrl } })).json().id as string;
    const token = (await app.inject({ method: 'POST', url: `/api/projects/${id}/tokens`, headers: admin })).json().token as string;
    const project = { authorization: `Bearer ${token}` };
    expect((await app.inject({ method: 'PUT', url: `/api/projects/${id}/secrets/git_token`, headers: project, payload: { value: 'gta_project_0123456789abcdef' } })).statusCode).toBe(204);
    const setRepoUrl = async (repoUrl: string, auth: Record<string, string>) =>
      expect((await app.inject({ method: 'PATCH', url: `/api/projects/${id}`, headers: auth, payload: { repoUrl } })).statusCode).toBe(200);
    const origin = async (remoteUrl: string) =>
      withGitAuth(await gitCredentials(database.db, id), async (auth) => auth.env.VIBN_GIT_ORIGIN, { remoteUrl }).catch((e: unknown) => e);

    // Created by the admin: the token may go to the admin's host on this machine.
    expect(await origin(adminsUrl)).toBe('https://127.0.0.1:9');

    // Set by the project token: outside only, judged again at each use.
    await setRepoUrl('https://203.0.113.5/x.git', project);
    expect(await origin('https://203.0.113.5/x.git')).toBe('https://203.0.113.5');
    // Say the name it pointed at now resolves inside, or the row predates the record: nothing is sent.
    await database.db.update(projects).set({ repoUrl: adminsUrl }).where(eq(projects.id, id));
    const withheld = await origin(adminsUrl);
    expect(withheld).toBeInstanceOf(CredentialsWithheldError);
    expect(withheld).toMatchObject({ retryable: false, message: expect.stringContaining('127.0.0.1, which is loopback') });

    // Sent by the admin, even unchanged, it is the admin's; sent back unchanged by the project token, it stays so.
    await setRepoUrl(adminsUrl, admin);
    expect(await origin(adminsUrl)).toBe('https://127.0.0.1:9');
    await setRepoUrl(adminsUrl, project);
    expect(await origin(adminsUrl)).toBe('https://127.0.0.1:9');
  });

  it('refuses a second project with the same name with 409', async () => {
    expect((await post({ name: 'Twin', repoUrl: 'git@github.com:acme/twin.git' })).statusCode).toBe(201);
    const res = await post({ name: 'Twin', repoUrl: 'git@github.com:acme/other.git' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ error: { code: 'project_exists', message: expect.any(String), field: 'name' } });
  });

  it.each([
    ['name', { repoUrl: 'https://x.test/r.git' }],
    ['name', { name: 'n'.repeat(201), repoUrl: 'https://x.test/r.git' }],
    ['name', { name: '   ', repoUrl: 'https://x.test/r.git' }],
    ['repoUrl', { name: 'a' }],
    ['repoUrl', { name: 'a', repoUrl: '--upload-pack=touch /tmp/pwned' }],
    ['repoUrl', { name: 'a', repoUrl: 'not a url' }],
    ['defaultBranch', { name: 'a', repoUrl: 'https://x.test/r.git', defaultBranch: 'a..b' }],
    ['timezone', { name: 'a', repoUrl: 'https://x.test/r.git', timezone: 'Mars/Olympus_Mons' }],
    ['deploy.kind', { name: 'a', repoUrl: 'https://x.test/r.git', deploy: { kind: 'ftp' } }],
    ['deploy.command', { name: 'a', repoUrl: 'https://x.test/r.git', deploy: { kind: 'command' } }],
    ['deploy.url', { name: 'a', repoUrl: 'https://x.test/r.git', deploy: { kind: 'command', command: 'x', url: 'javascript:alert(1)' } }],
  ])('answers 400 naming %s for a bad body', async (field, body) => {
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'invalid_request', message: expect.stringContaining(field), field } });
  });

  it('answers 404 for an unknown project and 400 naming projectId for a malformed one', async () => {
    const unknown = await app.inject({ method: 'GET', url: `/api/projects/${randomUUID()}` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('project_not_found');
    const malformed = await app.inject({ method: 'GET', url: '/api/projects/nope' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toMatchObject({ code: 'invalid_request', field: 'projectId' });
  });

  it('answers malformed bodies with the one error shape: bad JSON, no body, wrong type, too large', async () => {
    const json = { 'content-type': 'application/json' };
    const badJson = await app.inject({ method: 'POST', url: '/api/projects', headers: json, payload: '{"name":' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toEqual({ error: { code: 'invalid_json', message: expect.any(String), field: 'body' } });

    const noBody = await app.inject({ method: 'POST', url: '/api/projects' });
    expect(noBody.statusCode).toBe(400);
    expect(noBody.json().error).toMatchObject({ code: 'invalid_request', field: 'body' });

    const text = await app.inject({ method: 'POST', url: '/api/projects', headers: { 'content-type': 'text/plain' }, payload: 'hi' });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toEqual({ error: { code: 'unsupported_media_type', message: expect.any(String) } });

    const huge = await app.inject({ method: 'POST', url: '/api/projects', headers: json, payload: JSON.stringify({ name: 'x'.repeat(1_100_000) }) });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error).toMatchObject({ code: 'payload_too_large', field: 'body' });
  });

  it('serves the same contract over real HTTP', async () => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${address}/api/projects`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(TEST_ADMIN_TOKEN) },
      body: JSON.stringify({ name: 'Over HTTP', repoUrl: 'ssh://git@example.test/acme/http.git', timezone: 'America/New_York' }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const got = await fetch(`${address}/api/projects/${id}`, { headers: bearer(TEST_ADMIN_TOKEN) });
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ id, name: 'Over HTTP', timezone: 'America/New_York' });
  });
});
