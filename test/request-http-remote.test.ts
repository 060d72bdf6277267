import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGit } from '../runtime/git/run-git.js';
import { startGitHttpServer } from './fakes/git-http-server.js';
import { startRequestHarness } from './helpers/request-harness.js';
import { oneTaskScenario } from './helpers/scenarios.js';

const TOKEN = 'gitea-token-3f9a8b7c6d5e';

describe('a project whose git server needs a token (smart HTTP on 127.0.0.1)', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let server: Awaited<ReturnType<typeof startGitHttpServer>>;
  beforeAll(async () => {
    h = await startRequestHarness([oneTaskScenario('http', { file: 'notes/http.md' })]);
    server = await startGitHttpServer({ root: path.dirname(h.remote.bareDir), token: TOKEN });
  });
  afterAll(async () => {
    await server?.close();
    await h?.stop();
  });

  it('clones and pushes with the project token, which never shows in the events', async () => {
    const created = await h.call('POST', '/api/projects', { name: 'over-http', repoUrl: server.url(path.basename(h.remote.bareDir)) });
    const projectId = created.body.id as string;
    expect((await h.call('PUT', `/api/projects/${projectId}/secrets/git_token`, { value: TOKEN })).status).toBe(204);

    const { conversationId, done } = await h.runConfirmed(projectId, 'http push');
    expect(done).toMatchObject({ status: 'completed', outcome: 'tasked' });

    expect((await runGit(h.remote.bareDir, ['show', 'main:notes/http.md'])).stdout).toBe('# http');
    expect(server.requests.some((r) => r.method === 'POST' && r.path.endsWith('git-receive-pack') && r.authorized)).toBe(true);
    // Only git's first, anonymous probe is challenged; no pack moves without the token.
    expect(server.requests.filter((r) => r.method === 'POST').every((r) => r.authorized)).toBe(true);
    expect(JSON.stringify(await h.events(conversationId))).not.toContain(TOKEN);
  });
});
