/**
 * One subscriber's place in a conversation's stream, and the per-conversation topic that fans a notification out
 * with one read. Delivery is pull-based: rows stay in Postgres until a subscriber has room for them.
 */
import type { Db } from '../../db/client.js';
import { listSessionEvents } from '../../db/queries/session-events.js';
import { backoffDelay, type Backoff } from './backoff.js';

export type StoredEvent = Awaited<ReturnType<typeof listSessionEvents>>[number];

/** Why the hub ended a subscription: the client stayed over its bound too long, or reads from Postgres kept failing. */
export type EndReason = 'slow' | 'read_failed';

/** How a subscriber's failed reads are retried: doubling from `minMs`, never above `maxMs`, for `forMs` in all. */
export type ReadRetry = Backoff & { forMs: number };

/**
 * A restarting Postgres, a failover or a dropped connection fails reads for seconds; the subscriber waits that
 * out rather than its client resubscribing. Reads failing for two minutes are an outage: the client is told.
 */
export const READ_RETRY: ReadRetry = { minMs: 250, maxMs: 4_000, forMs: 120_000 };

/**
 * Where a subscription's rows go. `deliver` sends one row and says whether the client is still within its
 * bound of unread bytes; once it is not, the hub sends nothing more until `drained` resolves (true: back under
 * the bound; false: it stayed over it too long, and is dropped). Nothing queues in memory meanwhile: the rows
 * stay in Postgres and are read again from the last delivered seq.
 */
export type EventSink = { deliver(row: StoredEvent): boolean; drained(): Promise<boolean>; ended(reason: EndReason): void };

/** A subscriber's place in one conversation's stream; delivers each seq once, in order. */
export class Subscription {
  private lastSeq: number;
  private catchingUp = false;
  private dirty = false;
  private closed = false;
  /** When the current run of failed reads began, how many there were, and the timer of the next attempt. */
  private failingSince: number | undefined;
  private failures = 0;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly topic: Topic,
    afterSeq: number,
    private readonly sink: EventSink,
  ) {
    this.lastSeq = afterSeq;
  }

  /** The last seq handed to the sink. */
  get seq() {
    return this.lastSeq;
  }

  /** Stops delivery; no row reaches the sink after this returns. */
  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retry);
    this.topic.remove(this);
  }

  /** Rows the topic read after a notification: delivered if they continue this subscriber's seq, else it reads. */
  offer(rows: StoredEvent[]) {
    if (this.closed) return;
    if (this.catchingUp) {
      this.dirty = true;
      return;
    }
    for (const row of rows) {
      if (row.seq <= this.lastSeq) continue;
      if (row.seq !== this.lastSeq + 1) return void this.catchUp();
      this.lastSeq = row.seq;
      // Over its bound: the rest is read from Postgres once the client has drained.
      if (!this.sink.deliver(row)) return void this.catchUp();
    }
  }

  /**
   * Reads from Postgres after the last delivered seq until nothing new arrived meanwhile. A failed read is
   * tried again later (sooner when the hub's LISTEN connection comes back and resyncs); only `lastSeq` moves,
   * so whichever read succeeds delivers each seq once, in order.
   */
  async catchUp(): Promise<void> {
    if (this.closed) return;
    if (this.catchingUp) {
      this.dirty = true;
      return;
    }
    clearTimeout(this.retry);
    this.retry = undefined;
    this.catchingUp = true;
    let failed = false;
    try {
      do {
        this.dirty = false;
        if (!(await this.sink.drained())) return this.end('slow');
        if (this.closed) return;
        const rows = await listSessionEvents(this.topic.db, this.topic.conversationId, this.lastSeq, this.topic.batch);
        this.failingSince = undefined;
        this.failures = 0;
        if (rows.length === this.topic.batch) this.dirty = true;
        for (const row of rows) {
          if (this.closed) return;
          if (row.seq <= this.lastSeq) continue;
          this.lastSeq = row.seq;
          if (!this.sink.deliver(row)) {
            this.dirty = true;
            break;
          }
        }
      } while (this.dirty && !this.closed);
    } catch {
      failed = true;
    } finally {
      this.catchingUp = false;
    }
    if (failed) this.retryLater();
  }

  private retryLater() {
    if (this.closed) return;
    this.failingSince ??= Date.now();
    if (Date.now() - this.failingSince >= this.topic.retry.forMs) return this.end('read_failed');
    const delay = backoffDelay(this.topic.retry, this.failures);
    this.failures += 1;
    this.retry = setTimeout(() => void this.catchUp(), delay);
  }

  /** Ends the subscription from the hub's side, telling the sink why. */
  end(reason: EndReason) {
    if (this.closed) return;
    this.close();
    this.sink.ended(reason);
  }
}

/**
 * One conversation's subscribers and the newest seq read from Postgres for them, so one notification costs one
 * read however many subscribe. The cursor is the last seq the topic offered to every subscriber: never a
 * client's claim (a bogus `afterSeq` cannot make the topic ignore real events), nor what one subscriber read
 * for itself (a notification for that seq would be skipped while another subscriber still waits for it).
 */
export class Topic {
  readonly subs = new Set<Subscription>();
  private reading = false;
  private dirty = false;
  private cursor: number | undefined;

  constructor(
    readonly db: Db,
    readonly conversationId: string,
    readonly batch: number,
    readonly retry: ReadRetry,
    private readonly onEmpty: () => void,
  ) {}

  remove(sub: Subscription) {
    this.subs.delete(sub);
    if (this.subs.size === 0) this.onEmpty();
  }

  /** A notification: read what is new after the cursor and offer it to every subscriber. */
  notify(seq: number) {
    if (this.cursor !== undefined && seq <= this.cursor) return;
    // Subscribers behind the announced seq see a gap in what is offered and read for themselves.
    this.cursor ??= seq - 1;
    void this.pump();
  }

  /**
   * After notifications may have been lost, or the topic's read failed: every subscriber reads after its own
   * last seq (retrying while Postgres is away), and the cursor starts again from the next notification.
   */
  resync() {
    this.cursor = undefined;
    for (const sub of [...this.subs]) void sub.catchUp();
  }

  private async pump() {
    if (this.reading) {
      this.dirty = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.dirty = false;
        const rows = await listSessionEvents(this.db, this.conversationId, this.cursor ?? 0, this.batch);
        if (rows.length === 0) break;
        this.cursor = rows.at(-1)!.seq;
        for (const sub of [...this.subs]) sub.offer(rows);
        if (rows.length === this.batch) this.dirty = true;
      } while (this.dirty && this.subs.size > 0);
    } catch {
      // Without this read the live subscribers would wait for a notification that may never come.
      this.resync();
    } finally {
      this.reading = false;
    }
  }
}
