/**
 * bench:load's clients, over the real HTTP API and /api/stream. A founder sends a request, follows it on its own
 * WebSocket, confirms the plan card the moment the conversation awaits confirmation, and notes when the deploy
 * and the end arrive. Watchers are extra consoles on a conversation that only time each event: from its commit
 * in Postgres (the envelope's `at`, session_events.created_at) to its arrival.
 */
import WebSocket from 'ws';

type EventFrame = { type: 'event'; conversationId: string; event: { seq: number; kind: string; at: string; payload: any } };
type Frame = EventFrame | { type: 'subscribed' | 'error'; conversationId?: string; message?: string };

export type Api = <T = any>(method: 'GET' | 'POST', route: string, body?: object) => Promise<{ status: number; body: T }>;

/** Wall-clock arrival minus commit, for the events that were committed after the subscription was live. */
export type Latencies = number[];

async function openSocket(baseUrl: string, token: string): Promise<WebSocket> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/stream`, { headers: { authorization: `Bearer ${token}` } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

/** One founder's request, from POST to its end; the times are wall-clock ms (Date.now), comparable with `at`. */
export type RequestTimes = {
  conversationId?: string;
  postedAt: number;
  planShownAt?: number;
  confirmedAt?: number;
  /** When the `deploy` event was committed. */
  deployedAt?: number;
  /** When the phase event with the final status was committed. */
  endedAt?: number;
  status?: string;
  error?: string;
  /** Confirms answered 409 because the row had not caught up with the event yet, and sent again. */
  confirmRetries: number;
};

/**
 * Sends one request and follows it to its end. `onConversation` lets watchers subscribe as soon as it exists.
 * Resolves when the request ends (any status) or `deadline` passes.
 */
export async function runFounder(opts: {
  api: Api;
  baseUrl: string;
  token: string;
  projectId: string;
  text: string;
  deadline: number;
  latencies: Latencies;
  onConversation?: (conversationId: string) => void;
}): Promise<RequestTimes> {
  const times: RequestTimes = { postedAt: Date.now(), confirmRetries: 0 };
  const ws = await openSocket(opts.baseUrl, opts.token);
  try {
    const res = await opts.api<{ conversationId: string }>('POST', `/api/projects/${opts.projectId}/requests`, { text: opts.text });
    if (res.status >= 300) throw new Error(`POST requests answered ${res.status}: ${JSON.stringify(res.body)}`);
    const conversationId = res.body.conversationId;
    times.conversationId = conversationId;
    opts.onConversation?.(conversationId);
    let planVersion = 0;
    let subscribedAt = Infinity;
    let confirming = false;

    const confirm = async () => {
      times.confirmedAt = Date.now();
      for (;;) {
        const answer = await opts.api('POST', `/api/conversations/${conversationId}/confirm`, { planVersion });
        if (answer.status === 202 || answer.status === 200) return;
        if (answer.status !== 409 || Date.now() > opts.deadline) throw new Error(`confirm answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        times.confirmRetries += 1;
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('deadline passed')), Math.max(0, opts.deadline - Date.now()));
      const finish = (err?: Error) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      ws.on('message', (data) => {
        const arrived = Date.now();
        const frame = JSON.parse(String(data)) as Frame;
        if (frame.type === 'subscribed') subscribedAt = arrived;
        if (frame.type === 'error') return finish(new Error(`stream error: ${frame.message}`));
        if (frame.type !== 'event') return;
        const { kind, payload, at } = frame.event;
        const committed = Date.parse(at);
        if (committed >= subscribedAt) opts.latencies.push(arrived - committed);
        if (kind === 'plan.card') planVersion = payload.version;
        if (kind === 'phase' && payload.phase === 'awaiting_confirmation' && planVersion > 0 && !confirming) {
          confirming = true;
          times.planShownAt = arrived;
          confirm().catch(finish);
        }
        if (kind === 'deploy') times.deployedAt = committed;
        if (kind === 'phase' && payload.status !== 'running') {
          times.endedAt = committed;
          times.status = payload.status;
          times.error = payload.error ?? undefined;
          finish();
        }
      });
      ws.once('close', () => finish(new Error('stream closed')));
      ws.send(JSON.stringify({ type: 'subscribe', conversationId, afterSeq: 0 }));
    });
  } catch (err) {
    times.error = (err as Error).message;
  } finally {
    ws.terminate();
  }
  return times;
}

/** `count` idle consoles, opened before the load; each later follows one conversation and times its events. */
export async function openWatchers(baseUrl: string, token: string, count: number) {
  const sockets: WebSocket[] = [];
  // A few at a time: a burst of hundreds of handshakes measures the accept queue, not the stream.
  for (let i = 0; i < count; i += 25) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(25, count - i) }, () => openSocket(baseUrl, token)))));
  }
  const latencies: Latencies = [];
  let errors = 0;
  return {
    latencies,
    errors: () => errors,
    /** Points watchers `from..to-1` at a conversation. */
    follow(conversationId: string, from: number, to: number) {
      for (const ws of sockets.slice(from, to)) {
        let subscribedAt = Infinity;
        ws.on('message', (data) => {
          const arrived = Date.now();
          const frame = JSON.parse(String(data)) as Frame;
          if (frame.type === 'subscribed' && frame.conversationId === conversationId) subscribedAt = arrived;
          else if (frame.type === 'error') errors += 1;
          else if (frame.type === 'event' && frame.conversationId === conversationId) {
            const committed = Date.parse(frame.event.at);
            if (committed >= subscribedAt) latencies.push(arrived - committed);
          }
        });
        ws.send(JSON.stringify({ type: 'subscribe', conversationId, afterSeq: 0 }));
      }
    },
    close() {
      for (const ws of sockets) ws.terminate();
    },
  };
}
