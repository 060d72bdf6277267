/**
 * A local stand-in for the Anthropic Messages API (`POST /v1/messages`, non-streaming), close enough to the
 * wire format for the real SDK to talk to it. Tests script its replies, including errors and slow answers,
 * and read back every request it received.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A successful reply; the server fills in id, type, role and model from the request. */
export type FakeMessageReply = {
  content: Array<Record<string, unknown>>;
  stop_reason?: string;
  usage?: Record<string, number | null>;
  delayMs?: number;
};

/** An HTTP error (or any raw answer); a missing body becomes Anthropic's error envelope for the status. */
export type FakeErrorReply = {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
};

export type FakeReply = FakeMessageReply | FakeErrorReply;

/** One request as the fake saw it; credentials are reduced to whether they were sent. */
export type CapturedRequest = {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** True when the request carried an API key (`x-api-key`, or `Authorization: Bearer`, which SDK 1.x sends). */
  apiKeyPresent: boolean;
  body: Record<string, unknown>;
};

export type FakeAnthropic = {
  baseURL: string;
  requests: CapturedRequest[];
  enqueue(reply: FakeReply): void;
  /** Answers computed from the request, used when the queue is empty. */
  responder?: (body: Record<string, unknown>) => FakeReply;
  reset(): void;
  close(): Promise<void>;
};

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** Anthropic's error envelope, as the real API sends it. */
export function anthropicError(status: number, message: string, type = ERROR_TYPES[status] ?? 'api_error') {
  return { type: 'error', error: { type, message } };
}

/** Starts the fake on 127.0.0.1 and a free port. */
export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const queue: FakeReply[] = [];
  let counter = 0;
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, anthropicError(500, `fake Anthropic server failed: ${String(error)}`));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    fake.requests.push({ method: req.method ?? '', path, headers: redact(req.headers), apiKeyPresent: hasApiKey(req), body });

    // Claude on Vertex AI: the same body (the model in the path), at …/publishers/anthropic/models/<model>:rawPredict.
    const vertexModel = /\/publishers\/anthropic\/models\/([^/:]+):rawPredict$/.exec(path)?.[1];
    if (vertexModel && typeof body === 'object' && body) (body as Record<string, unknown>).model ??= decodeURIComponent(vertexModel);
    if (req.method !== 'POST' || (path !== '/v1/messages' && !vertexModel)) {
      return send(res, 404, anthropicError(404, `fake Anthropic server: no route ${req.method} ${path}`));
    }
    // Queued replies first (to script a failure before the normal flow), then the responder, if any.
    const reply = queue.shift() ?? fake.responder?.(body);
    if (!reply) {
      return send(res, 500, anthropicError(500, 'fake Anthropic server has no scripted reply for this request'));
    }
    if (reply.delayMs) {
      const gone = await delay(reply.delayMs, res);
      if (gone) return;
    }
    if ('status' in reply) {
      const message = `fake ${reply.status}`;
      return send(res, reply.status, reply.body ?? anthropicError(reply.status, message), reply.headers);
    }
    counter += 1;
    send(res, 200, {
      id: `msg_fake_${counter}`,
      type: 'message',
      role: 'assistant',
      model: typeof body.model === 'string' ? body.model : 'fake-model',
      content: reply.content,
      stop_reason: reply.stop_reason ?? (reply.content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn'),
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...reply.usage },
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeAnthropic = {
    baseURL: `http://127.0.0.1:${port}`,
    requests: [],
    enqueue: (reply) => void queue.push(reply),
    reset() {
      queue.length = 0;
      fake.requests.length = 0;
      fake.responder = undefined;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Slow replies keep sockets open; a test that ends must not wait for them.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
  return fake;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_fake_${Date.now()}`, ...headers });
  res.end(JSON.stringify(body));
}

/** Waits, unless the client hangs up first; resolves true when it did. */
function delay(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    res.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function hasApiKey(req: IncomingMessage): boolean {
  const bearer = req.headers.authorization;
  return Boolean(req.headers['x-api-key']) || (typeof bearer === 'string' && /^Bearer \S+/.test(bearer));
}

function redact(headers: IncomingMessage['headers']): CapturedRequest['headers'] {
  const copy: CapturedRequest['headers'] = { ...headers };
  for (const name of ['x-api-key', 'authorization']) {
    if (copy[name] !== undefined) copy[name] = '[redacted]';
  }
  return copy;
}
