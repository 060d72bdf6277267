/**
 * A conversation's step log as the console holds it: events in a Map by seq. An event at or below the last
 * seq held is ignored, so replays and resumes can overlap without showing a step twice.
 */
import type { StreamEvent } from './types';

export class EventLog {
  private readonly bySeq = new Map<number, StreamEvent>();
  private sorted: StreamEvent[] | undefined = [];
  private last = 0;

  /** Adds an event; false when its seq is already held (or older than the last one). */
  add(event: StreamEvent): boolean {
    if (!Number.isInteger(event.seq) || event.seq <= this.last) return false;
    this.bySeq.set(event.seq, event);
    this.last = event.seq;
    this.sorted = undefined;
    return true;
  }

  get lastSeq(): number {
    return this.last;
  }

  /** Every event held, in seq order. */
  list(): StreamEvent[] {
    this.sorted ??= [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
    return this.sorted;
  }
}
