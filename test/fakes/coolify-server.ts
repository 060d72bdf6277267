/**
 * A local stand-in for the two Coolify v4 API endpoints VIBN uses, close to the wire format of
 * app/Http/Controllers/Api/DeployController.php: `GET /api/v1/deploy?uuid=&force=` queues a deployment and
 * answers `{deployments: [{message, resource_uuid, deployment_uuid}]}`; `GET /api/v1/deployments/{uuid}` answers
 * the ApplicationDeploymentQueue row, whose `logs` is a JSON string of entries. Tests script how deployments
 * go (finish or fail after N polls, never finish), make one request fail, and read back every request.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the next queued deployment behaves. */
export type CoolifyScript =
  /** Reports `in_progress` for `afterPolls` polls, then `finished` (or `failed`) with these log lines. */
  | { outcome: 'finished' | 'failed'; afterPolls: number; logs?: string[]; commit?: string }
  /** Stays `in_progress` forever. */
  | { outcome: 'never'; logs?: string[] };

/** One request as the fake saw it; the token is reduced to whether it was the right one. */
export type CoolifyRequest = { method: string; path: string; query: Record<string, string>; authorized: boolean };

export type FakeCoolify = {
  baseUrl: string;
  /** The token the fake accepts; any other answers 401 as Coolify does. */
  token: string;
  applicationUuid: string;
  requests: CoolifyRequest[];
  /** The behaviour of deployments queued from now on. */
  script: CoolifyScript;
  /** Hide `logs`, as Coolify does for a token without the read:sensitive permission. */
  hideLogs: boolean;
  /** Answers the next `times` requests (of any kind) with `status` and Coolify's error envelope. */
  failNext(status: number, times?: number): void;
  /** Deployment uuids queued so far, oldest first. */
  deployments(): string[];
  close(): Promise<void>;
};

type Deployment = { uuid: string; script: CoolifyScript; polls: number };

/** Starts the fake on 127.0.0.1 and a free port. */
export async function startFakeCoolify(options: { token?: string; applicationUuid?: string } = {}): Promise<FakeCoolify> {
  const deployments = new Map<string, Deployment>();
  const failures: number[] = [];
  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      if (!res.headersSent) send(res, 500, { message: `fake Coolify failed: ${String(error)}` });
    }
  });

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const authorized = req.headers.authorization === `Bearer ${fake.token}`;
    fake.requests.push({ method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), authorized });
    req.resume();

    const failure = failures.shift();
    if (failure !== undefined) return send(res, failure, { message: `fake Coolify: scripted ${failure}` });
    // Coolify's invalidTokenResponse(): 401 {"message": "Invalid token."}; Sanctum's own: "Unauthenticated."
    if (!authorized) return send(res, 401, { message: 'Unauthenticated.' });
    if (req.method !== 'GET' && !(req.method === 'POST' && url.pathname === '/api/v1/deploy')) return send(res, 405, { message: 'Method not allowed.' });

    if (url.pathname === '/api/v1/deploy') {
      const uuid = url.searchParams.get('uuid');
      if (!uuid) return send(res, 400, { message: 'You must provide uuid or tag.' });
      if (uuid !== fake.applicationUuid) return send(res, 404, { message: 'No resources found.' });
      const deploymentUuid = randomBytes(12).toString('hex');
      deployments.set(deploymentUuid, { uuid: deploymentUuid, script: fake.script, polls: 0 });
      return send(res, 200, {
        deployments: [{ message: 'Application fake-app deployment queued.', resource_uuid: uuid, deployment_uuid: deploymentUuid }],
      });
    }
    const match = /^\/api\/v1\/deployments\/([^/]+)$/.exec(url.pathname);
    if (match) {
      const deployment = deployments.get(decodeURIComponent(match[1]!));
      if (!deployment) return send(res, 404, { message: 'Deployment not found.' });
      deployment.polls += 1;
      return send(res, 200, view(deployment));
    }
    send(res, 404, { message: 'Not found.' });
  }

  function view(d: Deployment) {
    const { script } = d;
    const verdict = script.outcome !== 'never' && d.polls > script.afterPolls ? script : undefined;
    const done = verdict !== undefined;
    const status = verdict?.outcome ?? 'in_progress';
    const lines = ['Starting deployment of fake-app.', ...(done ? (script.logs ?? []) : (script.logs ?? []).slice(0, 1))];
    const logs = JSON.stringify(
      lines.map((output, i) => ({ command: null, output, type: 'stdout', timestamp: new Date().toISOString(), hidden: false, batch: 1, order: i + 1 })),
    );
    return {
      id: 1,
      application_id: '1',
      deployment_uuid: d.uuid,
      pull_request_id: 0,
      force_rebuild: false,
      commit: verdict?.commit ?? 'HEAD',
      status,
      is_webhook: false,
      is_api: true,
      ...(fake.hideLogs ? {} : { logs }),
      application_name: 'fake-app',
      server_name: 'localhost',
      deployment_url: `/project/p/environment/e/application/${fake.applicationUuid}/deployment/${d.uuid}`,
    };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeCoolify = {
    baseUrl: `http://127.0.0.1:${port}`,
    token: options.token ?? `7|${randomBytes(20).toString('hex')}`,
    applicationUuid: options.applicationUuid ?? 'fakeappuuid0001',
    requests: [],
    script: { outcome: 'finished', afterPolls: 0 },
    hideLogs: false,
    failNext: (status, times = 1) => void failures.push(...Array.from({ length: times }, () => status)),
    deployments: () => [...deployments.keys()],
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
  return fake;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
