/**
 * One WebSocket on /api/stream for the whole page. It remembers, per conversation, the last seq it delivered;
 * whenever the socket closes (a restarted API, 4008 "too slow", a network blip) it reconnects with backoff,
 * on a fresh ticket, and subscribes again after that seq. So a listener sees every event once, in order: no
 * gap, no duplicate. Free of the DOM, so its resume logic is tested without a browser.
 */
import type { StreamEvent } from './types';

/** What the client needs of a WebSocket; the browser's satisfies it. */
export type SocketLike = {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
};

/** `idle` until the first subscription opens the socket. */
export type ConnectionState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'closed';

export type StreamClientOptions = {
  /** A fresh ticket for each connection attempt (tickets are short-lived). */
  ticket: () => Promise<string>;
  /** Opens a socket on the stream URL for a ticket. */
  open: (ticket: string) => SocketLike;
  onState?: (state: ConnectionState) => void;
  /** Backoff before the nth reconnect (n from 1); defaults to 250 ms doubling up to 5 s. */
  backoffMs?: (attempt: number) => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
};

type Listener = (event: StreamEvent) => void;

/** `interruptions`: `stream_interrupted` answers in a row, for the backoff; `again`: the pending resubscribe. */
type Subscription = { lastSeq: number; listener: Listener; interruptions: number; again?: unknown };

const OPEN = 1;

export const defaultBackoff = (attempt: number) => Math.min(5_000, 250 * 2 ** (attempt - 1));

export class StreamClient {
  private readonly subs = new Map<string, Subscription>();
  private socket: SocketLike | undefined;
  private attempt = 0;
  private timer: unknown;
  private stopped = false;
  private connecting = false;

  constructor(private readonly options: StreamClientOptions) {}

  /**
   * Follows a conversation from after `afterSeq`, replacing any earlier listener for it. The listener gets each
   * event with a seq above the last one delivered, once.
   */
  subscribe(conversationId: string, afterSeq: number, listener: Listener): () => void {
    this.cancelAgain(this.subs.get(conversationId));
    const sub: Subscription = { lastSeq: afterSeq, listener, interruptions: 0 };
    this.subs.set(conversationId, sub);
    this.sendSubscribe(conversationId, sub);
    this.ensureConnected();
    return () => {
      if (this.subs.get(conversationId) !== sub) return;
      this.cancelAgain(sub);
      this.subs.delete(conversationId);
      if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify({ type: 'unsubscribe', conversationId }));
    };
  }

  /** Closes the socket for good. */
  close() {
    this.stopped = true;
    if (this.timer !== undefined) (this.options.clearTimer ?? clearTimeout)(this.timer as ReturnType<typeof setTimeout>);
    for (const sub of this.subs.values()) this.cancelAgain(sub);
    this.socket?.close(1000, 'page closed');
    this.socket = undefined;
    this.options.onState?.('closed');
  }

  private sendSubscribe(conversationId: string, sub: Subscription) {
    if (this.socket?.readyState !== OPEN) return;
    this.socket.send(JSON.stringify({ type: 'subscribe', conversationId, afterSeq: sub.lastSeq }));
  }

  private cancelAgain(sub: Subscription | undefined) {
    if (sub?.again === undefined) return;
    (this.options.clearTimer ?? clearTimeout)(sub.again as ReturnType<typeof setTimeout>);
    sub.again = undefined;
  }

  private ensureConnected() {
    if (this.stopped || this.socket || this.connecting || this.timer !== undefined) return;
    void this.connect();
  }

  private async connect() {
    this.connecting = true;
    this.options.onState?.(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let socket: SocketLike;
    try {
      const ticket = await this.options.ticket();
      if (this.stopped) return;
      socket = this.options.open(ticket);
    } catch {
      this.connecting = false;
      return this.retry();
    }
    this.connecting = false;
    this.socket = socket;
    socket.onopen = () => {
      this.options.onState?.('live');
      for (const [id, sub] of this.subs) {
        this.cancelAgain(sub);
        this.sendSubscribe(id, sub);
      }
    };
    socket.onmessage = (ev) => this.onFrame(ev.data);
    socket.onerror = () => undefined;
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.retry();
    };
  }

  private retry() {
    if (this.stopped) return;
    this.attempt += 1;
    this.options.onState?.('reconnecting');
    const wait = (this.options.backoffMs ?? defaultBackoff)(this.attempt);
    this.timer = (this.options.setTimer ?? setTimeout)(() => {
      this.timer = undefined;
      this.ensureConnected();
    }, wait);
  }

  private onFrame(data: unknown) {
    if (typeof data !== 'string') return;
    let frame: { type?: string; conversationId?: string; event?: StreamEvent; code?: string };
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    const sub = frame.conversationId ? this.subs.get(frame.conversationId) : undefined;
    if (frame.type === 'subscribed') {
      // Only a socket the server accepted a subscription on resets the backoff, so a server that closes
      // every socket at once is not hammered.
      this.attempt = 0;
      if (sub) sub.interruptions = 0;
      return;
    }
    if (frame.type === 'event' && sub && frame.event) {
      // A replay that overlaps what we hold, or a frame from before a resubscribe: already delivered.
      if (frame.event.seq <= sub.lastSeq) return;
      sub.lastSeq = frame.event.seq;
      sub.listener(frame.event);
      return;
    }
    // The server could not read this conversation's stream (Postgres restarting, or away for minutes): ask
    // again from the last seq held, after a pause that grows while it keeps failing.
    if (frame.type === 'error' && sub && frame.code === 'stream_interrupted' && frame.conversationId && sub.again === undefined) {
      const id = frame.conversationId;
      sub.interruptions += 1;
      sub.again = (this.options.setTimer ?? setTimeout)(() => {
        sub.again = undefined;
        if (this.subs.get(id) === sub) this.sendSubscribe(id, sub);
      }, (this.options.backoffMs ?? defaultBackoff)(sub.interruptions));
    }
  }
}
