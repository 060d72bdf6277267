/**
 * A local stand-in for the Gemini API (and the Vertex AI variant of its path), close enough on the wire for the
 * real @google/genai client: non-streaming generateContent, Google's error envelope, slow replies. Tests script
 * the replies and read back what the client sent.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakePart = { text: string; thought?: boolean } | { functionCall: { name: string; args?: Record<string, unknown>; id?: string } };

/** A model answer: the parts of the first candidate plus its metadata. */
export type FakeSuccess = {
  parts: FakePart[];
  finishReason?: string;
  usageMetadata?: Record<string, number>;
  groundingMetadata?: unknown;
  delayMs?: number;
};

/** An HTTP failure; without `body` the reply is Google's error envelope for `status`. */
export type FakeFailure = { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number };

export type FakeReply = FakeSuccess | FakeFailure;

/** One generateContent call as the fake received it; API keys show as "present", never their value. */
export type CapturedRequest = {
  method: string;
  path: string;
  model: string;
  headers: Record<string, string>;
  body: GenerateContentBody;
};

/** The parts of a generateContent request body the tests look at; everything else stays reachable as unknown. */
export type GenerateContentBody = {
  contents?: Array<{ role?: string; parts?: Array<Record<string, unknown>> }>;
  systemInstruction?: { parts?: Array<{ text?: string }> };
  tools?: Array<Record<string, unknown>>;
  generationConfig?: Record<string, unknown>;
  [key: string]: unknown;
};

export type FakeGemini = {
  /** Pass as `baseURL` to the provider (the SDK adds the API version and model path). */
  baseURL: string;
  requests: CapturedRequest[];
  enqueue(reply: FakeReply): void;
  /** Forgets queued replies and captured requests. */
  reset(): void;
  close(): Promise<void>;
};

/** Answers when the queue is empty, e.g. to reply based on what was asked. */
export type FakeResponder = (body: GenerateContentBody, model: string) => FakeReply;

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Google's error envelope, as the Gemini API sends it. */
export function googleError(code: number, message: string, details?: unknown[]): { error: Record<string, unknown> } {
  return { error: { code, message, status: STATUS_NAMES[code] ?? 'UNKNOWN', ...(details ? { details } : {}) } };
}

/** The `details` entry that tells a client how long to wait before trying again, e.g. "7s". */
export function retryInfo(retryDelay: string): Record<string, unknown> {
  return { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay };
}

// Gemini API: /v1beta/models/{model}:generateContent. Vertex AI: /v1beta1/projects/{p}/locations/{l}/publishers/google/models/{model}:generateContent.
const GENERATE_PATH = /^\/v1(?:beta1?)?\/(?:projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/)?models\/([^/:]+):generateContent$/;

export async function startFakeGemini(options: { responder?: FakeResponder } = {}): Promise<FakeGemini> {
  const queue: FakeReply[] = [];
  const requests: CapturedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const match = GENERATE_PATH.exec(url.pathname);
      if (req.method !== 'POST' || !match) {
        return send(res, { status: 404, body: googleError(404, `The fake Gemini server does not serve ${req.method} ${url.pathname}.`) });
      }
      let body: GenerateContentBody;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as GenerateContentBody;
      } catch {
        return send(res, { status: 400, body: googleError(400, 'The request body is not JSON.') });
      }
      const model = decodeURIComponent(match[1]!);
      if (url.searchParams.has('key')) url.searchParams.set('key', 'present');
      requests.push({ method: req.method, path: url.pathname + url.search, model, headers: redactHeaders(req.headers), body });
      const reply =
        queue.shift() ??
        options.responder?.(body, model) ?? {
          status: 500,
          body: googleError(500, `The fake Gemini server has no scripted reply for request ${requests.length} (model ${model}).`),
        };
      if (!reply.delayMs) return send(res, reply, model);
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) send(res, reply, model);
      }, reply.delayMs);
      timers.add(timer);
      // A client that gives up (abort) closes the socket: the scripted delay has nothing left to answer.
      res.on('close', () => (clearTimeout(timer), timers.delete(timer)));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (reply) => void queue.push(reply),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function send(res: http.ServerResponse, reply: FakeReply, model = 'unknown'): void {
  if ('status' in reply) {
    const body = reply.body ?? googleError(reply.status, `Fake failure with status ${reply.status}.`);
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=UTF-8', ...reply.headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
    return;
  }
  const candidate = {
    content: { role: 'model', parts: reply.parts },
    finishReason: reply.finishReason ?? 'STOP',
    index: 0,
    ...(reply.groundingMetadata ? { groundingMetadata: reply.groundingMetadata } : {}),
  };
  const usageMetadata = reply.usageMetadata ?? { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 };
  res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify({ candidates: [candidate], usageMetadata, modelVersion: model, responseId: `fake-${Date.now()}` }));
}

function redactHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const secret = name === 'x-goog-api-key' || name === 'authorization';
    out[name] = secret ? 'present' : Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
