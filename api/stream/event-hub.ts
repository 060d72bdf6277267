/**
 * One `LISTEN session_events` connection per API process, fanning new events out to the subscribers of each
 * conversation. Notifications only say "something was committed at <conversation>:<seq>"; the rows are read
 * from Postgres, which stays the source of truth. Within a stream writers are serialised by an advisory lock
 * and the NOTIFY goes out on commit, so seq N is visible before N+1 exists: "after my last seq" never skips.
 */
import pg from 'pg';
import type { Db } from '../../db/client.js';
import { EVENTS_CHANNEL } from '../../db/queries/session-events.js';
import type { Logger } from '../../lib/logger.js';
import { backoffDelay, type Backoff } from './backoff.js';
import { READ_RETRY, Subscription, Topic, type EventSink, type ReadRetry } from './subscription.js';

export type { EndReason, EventSink, ReadRetry, StoredEvent } from './subscription.js';

export type EventHubOptions = {
  db: Db;
  /** Connection settings for the dedicated LISTEN client (the pool's own settings). */
  connection: pg.ClientConfig;
  log: Pick<Logger, 'info' | 'warn'>;
  /** Rows read per query. */
  batch?: number;
  /** Reconnect delays of the LISTEN connection: doubling from `minMs`, never above `maxMs`. */
  backoff?: Backoff;
  /** How a subscriber's failed reads are retried before it ends with 'read_failed' (default `READ_RETRY`). */
  readRetry?: ReadRetry;
};

/** The process's event hub: start it lazily with the first subscription, close it with the app. */
export class EventHub {
  private readonly topics = new Map<string, Topic>();
  private readonly batch: number;
  private readonly backoff: Backoff;
  private client: pg.Client | undefined;
  private started = false;
  private closed = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private listeningNow = false;

  constructor(private readonly options: EventHubOptions) {
    this.batch = options.batch ?? 200;
    this.backoff = options.backoff ?? { minMs: 250, maxMs: 10_000 };
  }

  /** Whether the LISTEN connection is up (for health and tests). */
  get listening() {
    return this.listeningNow;
  }

  /**
   * Subscribes to a conversation's events after `afterSeq`. The subscriber joins the live fan-out before its
   * replay starts, so an event committed during the replay is either in the replay or read after it.
   */
  subscribe(conversationId: string, afterSeq: number, sink: EventSink): Subscription {
    if (this.closed) throw new Error('The event hub is closed');
    this.start();
    let topic = this.topics.get(conversationId);
    if (!topic) {
      const created = new Topic(this.options.db, conversationId, this.batch, this.options.readRetry ?? READ_RETRY, () => {
        if (this.topics.get(conversationId) === created) this.topics.delete(conversationId);
      });
      topic = created;
      this.topics.set(conversationId, created);
    }
    const sub = new Subscription(topic, afterSeq, sink);
    topic.subs.add(sub);
    void sub.catchUp();
    return sub;
  }

  /** Ends every subscription (as slow clients would be: they resume elsewhere) and the LISTEN connection. */
  async close() {
    this.closed = true;
    clearTimeout(this.timer);
    // Closing each one also stops its pending read retry.
    for (const topic of [...this.topics.values()]) for (const sub of [...topic.subs]) sub.close();
    this.topics.clear();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private start() {
    if (this.started) return;
    this.started = true;
    void this.connect();
  }

  /** Connection supervisor: (re)opens the LISTEN client, then re-reads every stream for what it missed. */
  private async connect() {
    if (this.closed) return;
    const client = new pg.Client({ ...this.options.connection, keepAlive: true });
    let dropped = false;
    const drop = (err?: Error) => {
      if (dropped) return;
      dropped = true;
      this.listeningNow = false;
      if (this.client === client) this.client = undefined;
      void client.end().catch(() => undefined);
      if (this.closed) return;
      const delay = backoffDelay(this.backoff, this.failures);
      this.failures += 1;
      this.options.log.warn({ reason: err?.message ?? 'ended', retryInMs: delay }, 'event stream connection lost');
      this.timer = setTimeout(() => void this.connect(), delay);
    };
    client.on('error', drop);
    client.on('end', () => drop());
    client.on('notification', (msg) => {
      if (msg.channel !== EVENTS_CHANNEL || !msg.payload) return;
      const at = msg.payload.lastIndexOf(':');
      const seq = Number(msg.payload.slice(at + 1));
      const topic = this.topics.get(msg.payload.slice(0, at));
      if (topic && Number.isInteger(seq)) topic.notify(seq);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (err) {
      return drop(err as Error);
    }
    if (this.closed || dropped) return void client.end().catch(() => undefined);
    this.client = client;
    this.listeningNow = true;
    if (this.failures > 0) this.options.log.info('event stream connection restored');
    this.failures = 0;
    // Notifications sent while no connection listened are gone: every subscriber reads what it missed.
    for (const topic of this.topics.values()) topic.resync();
  }
}
