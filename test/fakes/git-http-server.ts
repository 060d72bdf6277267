/**
 * A git server on 127.0.0.1 speaking smart HTTP, as Gitea does: a node:http server in front of git's own
 * CGI, `git http-backend`, serving the bare repositories under `root`. Every request needs HTTP Basic auth
 * with the given token as password (any user name); without it the answer is 401 with a challenge, as a
 * real server gives. Tests can make it refuse pushes for a while, and read back every request it got.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** One request as the server saw it; credentials are reduced to whether they were right. */
export type GitHttpRequest = { method: string; path: string; authorized: boolean };

/**
 * How pushes are refused: `hook` lets the push reach the repository and a pre-receive hook decline it (git
 * reports `[remote rejected]`, as for a protected branch); `unavailable` answers the push with 503 (a
 * server being restarted or overloaded).
 */
export type PushRejection = 'hook' | 'unavailable';

export type FakeGitHttpServer = {
  /** The clone URL of `root/<repoName>`, with no credentials in it. */
  url(repoName: string): string;
  requests: GitHttpRequest[];
  /** Refuses (true) or accepts again (false) every push, in the way `how` says. */
  rejectPushes(on: boolean, how?: PushRejection): void;
  close(): Promise<void>;
};

export type GitHttpServerOptions = {
  /** The folder holding the bare repositories. */
  root: string;
  /** The password HTTP Basic auth must carry. */
  token: string;
  /** Called for each request before it is answered, while the client's git is waiting on it. */
  onRequest?: (request: GitHttpRequest) => void;
};

const PRE_RECEIVE = '#!/bin/sh\necho "pushes are paused on this server" >&2\nexit 1\n';

function authorizedUser(req: IncomingMessage, token: string): string | undefined {
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0 || decoded.slice(colon + 1) !== token) return undefined;
  return decoded.slice(0, colon) || 'git';
}

/** Splits the CGI's output into its headers and the start of its body. */
function parseCgiHead(buffer: Buffer): { status: number; headers: Array<[string, string]>; rest: Buffer } | undefined {
  let end = buffer.indexOf('\r\n\r\n');
  let sep = 4;
  if (end < 0 || (buffer.indexOf('\n\n') >= 0 && buffer.indexOf('\n\n') < end)) {
    end = buffer.indexOf('\n\n');
    sep = 2;
  }
  if (end < 0) return undefined;
  let status = 200;
  const headers: Array<[string, string]> = [];
  for (const line of buffer.subarray(0, end).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
    else headers.push([name, value]);
  }
  return { status, headers, rest: buffer.subarray(end + sep) };
}

function runBackend(req: IncomingMessage, res: ServerResponse, env: NodeJS.ProcessEnv): void {
  const url = new URL(req.url ?? '/', 'http://git.invalid');
  const child = spawn('git', ['http-backend'], {
    env: {
      ...env,
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  let head: Buffer = Buffer.alloc(0);
  let started = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (started) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const parsed = parseCgiHead(head);
    if (!parsed) return;
    started = true;
    res.writeHead(parsed.status, parsed.headers);
    res.write(parsed.rest);
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.on('close', (code) => {
    if (started) return void res.end();
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`git http-backend failed (${code}): ${stderr}`);
  });
}

/** Starts the server on a free port of 127.0.0.1. */
export async function startGitHttpServer(options: GitHttpServerOptions): Promise<FakeGitHttpServer> {
  const hooks = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-git-http-hooks-'));
  await fs.writeFile(path.join(hooks, 'pre-receive'), PRE_RECEIVE, { mode: 0o755 });
  const requests: GitHttpRequest[] = [];
  let rejecting: PushRejection | undefined;

  const server = createServer((req, res) => {
    const user = authorizedUser(req, options.token);
    const request: GitHttpRequest = { method: req.method ?? 'GET', path: req.url ?? '/', authorized: user !== undefined };
    requests.push(request);
    options.onRequest?.(request);
    if (!user) {
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="VIBN test git"', 'content-type': 'text/plain' }).end('Unauthorized\n');
      return;
    }
    if (rejecting === 'unavailable' && request.path.includes('git-receive-pack')) {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' }).end('Service Unavailable\n');
      return;
    }
    runBackend(req, res, {
      PATH: process.env.PATH,
      HOME: os.homedir(),
      GIT_PROJECT_ROOT: path.resolve(options.root),
      GIT_HTTP_EXPORT_ALL: '1',
      // http-backend lets an authenticated user (REMOTE_USER set) push.
      REMOTE_USER: user,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      ...(rejecting === 'hook' ? { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.hooksPath', GIT_CONFIG_VALUE_0: hooks } : {}),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: (repoName) => `http://127.0.0.1:${port}/${repoName}`,
    requests,
    rejectPushes(on, how = 'hook') {
      rejecting = on ? how : undefined;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.rm(hooks, { recursive: true, force: true });
    },
  };
}
