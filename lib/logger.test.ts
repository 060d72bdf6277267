import Fastify, { type FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { eventually } from '../test/helpers/poll.js';
import { createLogger, MAX_LOG_LINE } from './logger.js';
import { registerSecrets } from './redact.js';

type Rec = Record<string, unknown>;

/** A logger at the product's default level and JSON format, its lines kept for the test to read. */
function capturedLogger() {
  const lines: string[] = [];
  const log = createLogger({ logLevel: 'info', logFormat: 'json' }, 'test', { write: (line: string) => lines.push(line) });
  const parsed = () => lines.map((l) => JSON.parse(l)) as Array<Record<string, unknown>> & [Rec, Rec, Rec, Rec, Rec];
  return { log, lines, parsed };
}

describe('the logger', () => {
  it("logs Fastify's real requests at the default level, and redacts what is really written", async () => {
    const { log, lines, parsed } = capturedLogger();
    const app = Fastify({ loggerInstance: log as FastifyBaseLogger });
    app.get('/api/stream', async (req) => {
      // A careless caller logs the raw request: socket, response and server all point back at it.
      req.log.info({ request: req, raw: req.raw }, 'handler saw the request');
      return { ok: true };
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${url}/api/stream?ticket=secret-ticket-value-123&x=1`, { headers: { authorization: 'Bearer abcdefghijklmnopqrstuvwxyz012345' } });
      expect(res.status).toBe(200);
    } finally {
      await app.close();
    }
    const records = parsed();
    const incoming = records.find((r) => r.msg === 'incoming request') as { req: { url: string } };
    expect(incoming.req.url).toBe('/api/stream?ticket=[redacted]&x=1');
    expect(records.some((r) => r.msg === 'handler saw the request')).toBe(true);
    expect(records.some((r) => r.msg === 'request completed')).toBe(true);
    const all = lines.join('');
    expect(all).not.toContain('secret-ticket-value-123');
    expect(all).not.toContain('abcdefghijklmnopqrstuvwxyz012345');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(MAX_LOG_LINE + 1);
  });

  it('copes with circular, very deep, very wide and throwing objects', () => {
    const { log, parsed } = capturedLogger();
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    loop.list = [loop, { back: loop }];
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 100_000; i++) deep = { next: deep };
    const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, { i, nested: { i } }]));
    const hostile = Object.defineProperty({}, 'boom', { enumerable: true, get: () => { throw new Error('getter exploded'); } });

    expect(() => log.info({ loop }, 'circular')).not.toThrow();
    expect(() => log.info({ deep }, 'deep')).not.toThrow();
    expect(() => log.info({ wide }, 'wide')).not.toThrow();
    expect(() => log.info({ hostile }, 'hostile')).not.toThrow();
    expect(() => log.info({ list: Array.from({ length: 1e5 }, (_, i) => i) }, 'long array')).not.toThrow();

    const [circular, deepRecord, wideRecord, hostileRecord, arrayRecord] = parsed();
    expect(circular).toMatchObject({ msg: 'circular', loop: { name: 'loop', self: '[circular]', list: ['[circular]', { back: '[circular]' }] } });
    expect(JSON.stringify(deepRecord)).toContain('[too deep]');
    expect(Object.keys(wideRecord.wide as object).length).toBeLessThanOrEqual(51);
    expect(hostileRecord).toMatchObject({ logFormatFailed: 'getter exploded', msg: 'hostile' });
    expect((arrayRecord.list as unknown[]).length).toBe(51);
  });

  it('cuts a huge string, and a line that is still too long, yet keeps each line valid JSON', () => {
    const { log, lines, parsed } = capturedLogger();
    log.info({ output: 'x'.repeat(10_000_000) }, 'huge string');
    log.info('y'.repeat(200_000));
    const [huge, message] = parsed();
    expect(String(huge.output).length).toBeLessThan(9_000);
    expect(String(huge.output)).toContain('more characters]');
    expect(message).toMatchObject({ level: 30, name: 'test', msg: expect.stringMatching(/^log line cut: \d+ characters$/) });
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(MAX_LOG_LINE);
  });

  it('keeps registered secrets out, also where JSON escapes them, and Errors under any key', () => {
    const { log, lines, parsed } = capturedLogger();
    registerSecrets(['quote"secret\\value-99']);
    log.info({ note: 'it was quote"secret\\value-99 all along' }, 'escaped');
    log.warn({ error: new Error('push failed with sk-ant-api03-abcdefghijklmnopqrstuvwx') }, 'an error under another key');
    log.info('message with sk-ant-api03-abcdefghijklmnopqrstuvwx');
    const all = lines.join('');
    expect(all).not.toContain('secret\\\\value-99');
    expect(all).not.toContain('abcdefghijklmnopqrstuvwx');
    expect(parsed()[1]).toMatchObject({ error: { type: 'Error', message: 'push failed with [redacted]' } });
  });

  it('writes the pretty format a terminal gets, with the same bounds and redaction', async () => {
    const lines: string[] = [];
    const log = createLogger({ logLevel: 'info', logFormat: 'pretty' }, 'test', { write: (line: string) => lines.push(line) });
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    log.info({ loop, url: '/api/stream?ticket=pretty-secret-ticket-1' }, 'pretty line');
    const text = await eventually('the pretty line', async () => (lines.join('').includes('pretty line') ? lines.join('') : undefined));
    expect(text).toContain('[circular]');
    expect(text).not.toContain('pretty-secret-ticket-1');
  });

  it('replaces the values of secret-named keys at any depth', () => {
    const { log, lines, parsed } = capturedLogger();
    const err = Object.assign(new Error('clone failed'), { stdout: 'z'.repeat(100_000) });
    log.info({ password: 'hunter2-hunter2', project: { settings: { token: 'tok-1234567890', name: 'acme' } }, err }, 'settings');
    const [record] = parsed();
    expect(record).toMatchObject({ password: '[redacted]', project: { settings: { token: '[redacted]', name: 'acme' } }, err: { message: 'clone failed' } });
    expect(String((record.err as { stdout: string }).stdout).length).toBeLessThan(9_000);
    expect(lines.join('')).not.toContain('hunter2');
  });
});
