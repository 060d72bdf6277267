import { describe, expect, it } from 'vitest';
import { EventLog } from './event-log';
import { StreamClient, type SocketLike } from './stream-client';
import type { StreamEvent } from './types';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: Array<Record<string, unknown>> = [];
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  constructor(readonly ticket: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000) {
    this.drop(code);
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(code: number) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  frame(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

const event = (seq: number): StreamEvent => ({ seq, kind: 'phase', sessionId: null, payload: {}, at: '2025-01-01T00:00:00Z' });
const flush = () => new Promise((r) => setTimeout(r, 0));

function setup() {
  const sockets: FakeSocket[] = [];
  const timers: Array<{ fn: () => void; ms: number }> = [];
  let tickets = 0;
  const client = new StreamClient({
    ticket: async () => `t${++tickets}`,
    open: (ticket) => {
      const s = new FakeSocket(ticket);
      sockets.push(s);
      return s;
    },
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => undefined,
  });
  return { client, sockets, timers };
}

describe('the stream client', () => {
  it('subscribes once open, and delivers each seq once, in order', async () => {
    const { client, sockets } = setup();
    const got: number[] = [];
    client.subscribe('c1', 0, (e) => got.push(e.seq));
    await flush();
    sockets[0]!.open();
    expect(sockets[0]!.sent).toEqual([{ type: 'subscribe', conversationId: 'c1', afterSeq: 0 }]);
    for (const seq of [1, 2, 2, 1, 3]) sockets[0]!.frame({ type: 'event', conversationId: 'c1', event: event(seq) });
    sockets[0]!.frame({ type: 'event', conversationId: 'other', event: event(9) });
    expect(got).toEqual([1, 2, 3]);
  });

  it('after any close, reconnects with backoff on a fresh ticket and resumes after the last seq held', async () => {
    const { client, sockets, timers } = setup();
    const got: number[] = [];
    client.subscribe('c1', 0, (e) => got.push(e.seq));
    await flush();
    sockets[0]!.open();
    sockets[0]!.frame({ type: 'subscribed', conversationId: 'c1', afterSeq: 0 });
    for (const seq of [1, 2, 3]) sockets[0]!.frame({ type: 'event', conversationId: 'c1', event: event(seq) });
    sockets[0]!.drop(4008);

    expect(timers).toHaveLength(1);
    timers[0]!.fn();
    await flush();
    expect(sockets[1]!.ticket).toBe('t2');
    sockets[1]!.open();
    expect(sockets[1]!.sent).toEqual([{ type: 'subscribe', conversationId: 'c1', afterSeq: 3 }]);
    // The server replays from 4; an overlapping 3 is dropped.
    for (const seq of [3, 4, 5]) sockets[1]!.frame({ type: 'event', conversationId: 'c1', event: event(seq) });
    expect(got).toEqual([1, 2, 3, 4, 5]);

    // Two failures in a row back off further.
    sockets[1]!.drop(1006);
    timers[1]!.fn();
    await flush();
    sockets[2]!.drop(1006);
    expect(timers.map((t) => t.ms)).toEqual([250, 500, 1000]);
  });

  it('resubscribes from the last seq, after a growing pause, when the server says the stream was interrupted', async () => {
    const { client, sockets, timers } = setup();
    client.subscribe('c1', 0, () => undefined);
    await flush();
    sockets[0]!.open();
    const interrupted = { type: 'error', code: 'stream_interrupted', status: 503, message: 'x', conversationId: 'c1' };
    sockets[0]!.frame({ type: 'event', conversationId: 'c1', event: event(1) });
    sockets[0]!.frame(interrupted);
    // Postgres may still be away: nothing is sent until the pause is over.
    expect(sockets[0]!.sent).toHaveLength(1);
    timers.at(-1)!.fn();
    expect(sockets[0]!.sent.at(-1)).toEqual({ type: 'subscribe', conversationId: 'c1', afterSeq: 1 });
    // Refused again (the server could not look the conversation up): a longer pause; once accepted, short again.
    sockets[0]!.frame(interrupted);
    sockets[0]!.frame(interrupted);
    timers.at(-1)!.fn();
    sockets[0]!.frame({ type: 'subscribed', conversationId: 'c1', afterSeq: 1 });
    sockets[0]!.frame(interrupted);
    expect(timers.map((t) => t.ms)).toEqual([250, 500, 250]);
    expect(sockets[0]!.sent).toHaveLength(3);
  });

  it('stops for good when closed, and an unsubscribed conversation is told to the server', async () => {
    const { client, sockets, timers } = setup();
    const stop = client.subscribe('c1', 0, () => undefined);
    await flush();
    sockets[0]!.open();
    stop();
    expect(sockets[0]!.sent.at(-1)).toEqual({ type: 'unsubscribe', conversationId: 'c1' });
    client.close();
    expect(timers).toHaveLength(0);
  });
});

describe('the event log', () => {
  it('keeps events by seq and ignores any seq at or below the last one held', () => {
    const log = new EventLog();
    expect([1, 2, 2, 3, 1].map((seq) => log.add(event(seq)))).toEqual([true, true, false, true, false]);
    expect(log.list().map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(log.lastSeq).toBe(3);
  });
});
