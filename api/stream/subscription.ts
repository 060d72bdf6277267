/**
 * One subscriber's place in a conversation's stream, and the per-conversation topic that fans a notification out
 * with one read. Delivery is pull-based: rows stay in Postgres until a subscriber has room for them.
 */
import type { Db } from '../../db/client.js';
import { listSessionEvents } from '../../db/queries/session-events.js';

export type StoredEvent = Awaited<ReturnType<typeof listSessionEvents>>[number];

/** Why the hub ended a subscription: the client stayed over its bound too long, or a read from Postgres failed. */
export type EndReason = 'slow' | 'read_failed';

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

  /** Reads from Postgres after the last delivered seq until nothing new arrived meanwhile. */
  async catchUp(): Promise<void> {
    if (this.closed) return;
    if (this.catchingUp) {
      this.dirty = true;
      return;
    }
    this.catchingUp = true;
    try {
      do {
        this.dirty = false;
        if (!(await this.sink.drained())) return this.end('slow');
        if (this.closed) return;
        const rows = await listSessionEvents(this.topic.db, this.topic.conversationId, this.lastSeq, this.topic.batch);
        if (rows.length > 0) this.topic.advance(rows.at(-1)!.seq);
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
      this.end('read_failed');
    } finally {
      this.catchingUp = false;
    }
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
 * read however many subscribe. The cursor only ever holds a seq actually read (or announced), never a client's
 * claim, so a bogus `afterSeq` cannot make the topic ignore real events.
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
    private readonly onEmpty: () => void,
  ) {}

  advance(seq: number) {
    this.cursor = Math.max(this.cursor ?? 0, seq);
  }

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

  /** After notifications may have been lost: every subscriber reads after its own last seq. */
  resync() {
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
      for (const sub of [...this.subs]) sub.end('read_failed');
    } finally {
      this.reading = false;
    }
  }
}
