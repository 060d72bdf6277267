/**
 * Keeps the beginning and the end of a stream of unbounded size in bounded memory. A command's last lines
 * carry its errors and summary, so the tail gets most of the room.
 */
export class HeadTailBuffer {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;

  /** `maxBytes` bounds what `toString` returns, not counting the cut marker. */
  constructor(maxBytes: number) {
    this.headLimit = Math.floor(maxBytes / 4);
    this.tailLimit = maxBytes - this.headLimit;
  }

  push(chunk: Buffer | string): void {
    let data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.total += data.length;
    if (this.headBytes < this.headLimit) {
      const taken = data.subarray(0, this.headLimit - this.headBytes);
      this.head.push(taken);
      this.headBytes += taken.length;
      data = data.subarray(taken.length);
    }
    if (data.length === 0) return;
    this.tail.push(data);
    this.tailBytes += data.length;
    // Drop whole chunks that no longer reach into the last `tailLimit` bytes; memory stays near the limit.
    while (this.tail.length > 1 && this.tailBytes - (this.tail[0] as Buffer).length >= this.tailLimit) {
      this.tailBytes -= (this.tail.shift() as Buffer).length;
    }
  }

  /** Bytes seen in all, kept or not. */
  get totalBytes(): number {
    return this.total;
  }

  toString(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    const tailAll = Buffer.concat(this.tail);
    const tail = tailAll.subarray(Math.max(0, tailAll.length - this.tailLimit));
    const cut = this.total - this.headBytes - tail.length;
    if (cut <= 0) return head + tail.toString('utf8');
    return `${head}\n[… ${cut} bytes cut …]\n${tail.toString('utf8')}`;
  }
}
