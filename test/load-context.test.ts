/**
 * loadContext as a regular activity against a real git server over HTTP (git http-backend behind a token):
 * a refused token ends it at once, never retried, in the founder's words with no URL or token in them; and a
 * clone the server is slow to answer goes on heartbeating, so Temporal keeps it alive while it lasts.
 */
import { request as httpRequest, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createConversationActivities } from '../activities/conversation.js';
import { FAILURE, GIT_TOKEN_REFUSED_FOR_FOUNDER, NON_RETRYABLE_FAILURES } from '../core/failure-types.js';
import { setProjectSecret } from '../db/queries/project-secrets.js';
import { advisorConversations, projects } from '../db/schema.js';
import { makeRemote, TempDirs } from '../runtime/git/test-repos.js';
import { startGitHttpServer, type FakeGitHttpServer } from './fakes/git-http-server.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually } from './helpers/poll.js';
import { startRequestHarness } from './helpers/request-harness.js';

const TOKEN = 'gta_5b1e9c3d7f2a4e6b8c0d1f3a5b7c9e12';
const WRONG = 'gta_wrong_9f8e7d6c5b4a39281706';
const temp = new TempDirs();

/**
 * A proxy in front of the git server that holds every clone's pack request until `release()`: a clone that
 * takes as long as the test wants, without a timer.
 */
async function holdingProxy(target: string) {
  const upstream = new URL(target);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = 0;
  const server: Server = createServer((req, res) => {
    const forward = () =>
      req.pipe(
        httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        }),
      );
    if (req.method === 'POST' && req.url?.endsWith('/git-upload-pack')) {
      held++;
      void released.then(forward);
    } else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: (repo: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/${repo}`,
    held: () => held,
    release,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe('loadContext against a git server that wants a token', () => {
  let database: TestDatabase;
  let git: FakeGitHttpServer;
  let home: string;

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    const bare = await makeRemote(temp, { 'README.md': '# Demo\n', 'src/app.js': 'export {};\n' });
    git = await startGitHttpServer({ root: path.dirname(bare), token: TOKEN });
    home = await temp.make('state');
  });
  afterAll(async () => {
    await git?.close();
    await database?.drop();
    await temp.removeAll();
  });

  /** A project on `repoUrl` (set by the admin, so its token may go to 127.0.0.1) with `token`, and a request of it. */
  async function projectWith(repoUrl: string, token: string) {
    const [project] = await database.db.insert(projects).values({ name: `p-${Math.random().toString(36).slice(2, 8)}`, repoUrl, repoUrlByAdmin: true }).returning({ id: projects.id });
    await setProjectSecret(database.db, project!.id, 'git_token', token);
    const [conversation] = await database.db.insert(advisorConversations).values({ projectId: project!.id, requestText: 'What does the app do?' }).returning({ id: advisorConversations.id });
    return { projectId: project!.id, conversationId: conversation!.id };
  }

  it('fails for good, in the founder words, when the server refuses the token', async () => {
    const activities = createConversationActivities({ db: database.db, home });
    const ref = await projectWith(git.url('project.git'), WRONG);
    const before = git.requests.length;

    const failure = await new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(activities.loadContext, ref).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: FAILURE.gitAuth, nonRetryable: true, message: GIT_TOKEN_REFUSED_FOR_FOUNDER });
    expect((failure as Error).message).toBe("I can't reach your repository: its access token was refused.");
    // The retry policies would not try it again even were it thrown as retryable.
    expect(NON_RETRYABLE_FAILURES).toContain((failure as ApplicationFailure).type);
    expect(JSON.stringify(failure)).not.toContain(WRONG);
    // The server really was asked, and said no.
    expect(git.requests.slice(before).some((r) => !r.authorized)).toBe(true);
  });

  it('heartbeats while a slow clone waits on the server, and keeps the repository once it comes', async () => {
    const activities = createConversationActivities({ db: database.db, home });
    const proxy = await holdingProxy(git.url(''));
    try {
      const ref = await projectWith(proxy.url('project.git'), TOKEN);
      const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
      let heartbeats = 0;
      env.on('heartbeat', () => heartbeats++);
      const loading = env.run(activities.loadContext, ref);

      await eventually('the clone to wait on the server', async () => (proxy.held() > 0 ? true : undefined));
      const atHold = heartbeats;
      // Two heartbeats while git waits: the activity tells Temporal it is alive for as long as the clone lasts.
      await eventually('two heartbeats during the clone', async () => (heartbeats >= atHold + 2 ? true : undefined), 30_000);
      proxy.release();

      expect(await loading).toEqual({ files: 2, memories: 0 });
      const [row] = await database.db.select({ snapshot: advisorConversations.contextSnapshot }).from(advisorConversations).where(eq(advisorConversations.id, ref.conversationId));
      expect((row!.snapshot as { repository: { files: string[] } }).repository.files).toEqual(['README.md', 'src/app.js']);
    } finally {
      proxy.release();
      await proxy.close();
    }
  });
});

describe('a request on a repository that refuses its token', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let git: FakeGitHttpServer;

  beforeAll(async () => {
    h = await startRequestHarness([]);
    const bare = await makeRemote(temp, { 'README.md': '# Demo\n' });
    git = await startGitHttpServer({ root: path.dirname(bare), token: TOKEN });
  });
  afterAll(async () => {
    await git?.close();
    await h?.stop();
    await temp.removeAll();
  });

  it('ends at once, telling the founder in their words, and asks the server only for the first attempt', async () => {
    const created = await h.call('POST', '/api/projects', { name: 'refused', repoUrl: git.url('project.git'), deploy: { kind: 'none' } });
    expect(created.status).toBe(201);
    const projectId = created.body.id as string;
    expect((await h.call('PUT', `/api/projects/${projectId}/secrets/git_token`, { value: WRONG })).status).toBe(204);

    const { conversationId } = await h.startRequest(projectId, 'What does the app do?');
    const done = await h.waitFor(conversationId, 'the request to end', (c) => c.status !== 'running');

    expect(done.status).toBe('failed');
    expect(done.error).toBe("I can't reach your repository: its access token was refused.");
    // One attempt: git asks twice (without, then with the token) and is refused; no retry asks again.
    expect(git.requests.filter((r) => r.authorized)).toEqual([]);
    expect(git.requests.length).toBeLessThanOrEqual(2);
  }, 120_000);
});
