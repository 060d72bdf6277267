/**
 * A founder's browser tab on the live stream, as the console behaves: subscribed over WebSocket, and when the
 * connection drops (the API was killed, restarted, or shed a slow client) it reconnects and resumes after the
 * last seq it holds; when the API says the stream was interrupted (it could not read Postgres), it subscribes
 * again on the same connection after a pause. What it received over all its connections must be every seq
 * exactly once.
 */
import { StreamClient } from '../helpers/stream-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ResumingStream {
  private readonly connections: StreamClient[] = [];
  private current?: StreamClient;
  private stopped = false;
  private loop?: Promise<void>;
  /** Connections lost and made again. */
  reconnects = 0;
  /** When each subscription (the first and every resumed one) was confirmed by the server. */
  readonly subscribedAt: number[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly conversationId: string,
  ) {}

  start() {
    this.loop = this.run();
    return this;
  }

  /** Every seq received for the conversation, over every connection, in arrival order. */
  seqs(): number[] {
    return this.connections.flatMap((c) => c.seqs(this.conversationId));
  }

  private lastSeq(): number {
    return Math.max(0, ...this.seqs());
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let client: StreamClient;
      try {
        client = await StreamClient.open(this.baseUrl);
      } catch {
        await sleep(200); // the API is down or restarting
        continue;
      }
      this.connections.push(client);
      this.current = client;
      client.ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type?: string; code?: string; conversationId?: string };
        if (frame.type !== 'error' || frame.code !== 'stream_interrupted' || frame.conversationId !== this.conversationId) return;
        setTimeout(() => {
          if (!this.stopped && client.ws.readyState === client.ws.OPEN) client.send({ type: 'subscribe', conversationId: this.conversationId, afterSeq: this.lastSeq() });
        }, 250);
      });
      // A connection that drops before it is subscribed is retried like any other.
      const subscribed = await Promise.race([client.subscribe(this.conversationId, this.lastSeq()).then(() => true), client.closed.then(() => false)]).catch(() => false);
      if (subscribed) {
        this.subscribedAt.push(Date.now());
        await client.closed;
      }
      else client.ws.terminate();
      this.current = undefined;
      if (!this.stopped) {
        this.reconnects++;
        await sleep(100);
      }
    }
  }

  /** Waits until `count` events have arrived (the stream may trail the database by a moment). */
  async waitFor(count: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.seqs().length < count && Date.now() < deadline) await sleep(100);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.ws.terminate();
    await this.loop;
  }
}
