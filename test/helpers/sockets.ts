/**
 * What the security tests open against a real API: WebSockets (the Terminal, the live stream) that keep every
 * frame and their close, an SSE stream read as raw text, and plain HTTP calls from a chosen source address.
 */
import http from 'node:http';
import WebSocket from 'ws';
import { eventually } from './poll.js';

export type Frame = { type: string; data?: string; code?: string | number | null; status?: number; message?: string; conversationId?: string };

/** An open WebSocket, keeping every JSON frame it received and how it closed. */
export class RecordingSocket {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(JSON.parse(String(data)) as Frame));
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  send(frame: object) {
    this.ws.send(JSON.stringify(frame));
  }

  /** What a terminal printed so far. */
  get output() {
    return this.frames.filter((f) => f.type === 'output').map((f) => f.data).join('');
  }

  waitForFrame(match: (f: Frame) => boolean, what: string, timeoutMs = 60_000) {
    return eventually(what, async () => this.frames.find(match), timeoutMs);
  }

  waitForOutput(text: string, timeoutMs = 20_000) {
    return eventually(`terminal output ${text}`, async () => (this.output.includes(text) ? true : undefined), timeoutMs);
  }

  async close() {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }
}

/** Opens a WebSocket; resolves once upgraded, or with the HTTP status and body the upgrade was refused with. */
export function openSocket(
  url: string,
  headers: Record<string, string> = {},
  localAddress?: string,
): Promise<RecordingSocket | { status: number; body: string; retryAfter?: string }> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), { headers, localAddress });
  const socket = new RecordingSocket(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, retryAfter: res.headers['retry-after'] as string | undefined }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

/** Opens a WebSocket that must be accepted. */
export async function mustOpen(url: string, headers: Record<string, string> = {}): Promise<RecordingSocket> {
  const socket = await openSocket(url, headers);
  if (!(socket instanceof RecordingSocket)) throw new Error(`the upgrade was refused with HTTP ${socket.status}: ${socket.body}`);
  return socket;
}

/** An SSE stream read as text, as it arrives; `ended` resolves when the server ends it. */
export class SseReader {
  text = '';
  /** The response's HTTP status, once its head arrived. */
  readonly status: Promise<number>;
  readonly ended: Promise<void>;
  private readonly req: http.ClientRequest;

  constructor(url: string, headers: Record<string, string>) {
    let ready: (status: number) => void = () => undefined;
    this.status = new Promise((r) => (ready = r));
    let end: () => void = () => undefined;
    this.ended = new Promise((r) => (end = r));
    this.req = http.get(url, { headers }, (res) => {
      ready(res.statusCode ?? 0);
      res.on('data', (chunk: Buffer) => (this.text += chunk.toString('utf8')));
      res.on('end', end);
      res.on('error', end);
      res.on('close', end);
    });
    this.req.on('error', () => end());
  }

  close() {
    this.req.destroy();
  }
}

/** One HTTP call from `localAddress` (any 127.x.y.z stands for another client on loopback). */
export function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; localAddress?: string } = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, localAddress: options.localAddress }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
