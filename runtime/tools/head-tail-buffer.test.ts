import { describe, expect, it } from 'vitest';
import { HeadTailBuffer } from './head-tail-buffer.js';

describe('HeadTailBuffer', () => {
  it('returns everything when it fits', () => {
    const buffer = new HeadTailBuffer(100);
    buffer.push('hello ');
    buffer.push(Buffer.from('world'));
    expect(buffer.toString()).toBe('hello world');
  });

  it('keeps a quarter for the head and the rest for the tail, marking the cut', () => {
    const buffer = new HeadTailBuffer(20);
    for (let i = 0; i < 100; i += 1) buffer.push(String(i % 10));
    expect(buffer.totalBytes).toBe(100);
    expect(buffer.toString()).toBe('01234\n[… 80 bytes cut …]\n567890123456789');
  });
});
