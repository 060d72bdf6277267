/**
 * Stream tickets: browsers cannot set an Authorization header on a WebSocket or an EventSource, so the console
 * trades its bearer token for a short-lived ticket (POST /api/stream/tickets) and opens the socket with
 * `?ticket=`. A ticket is signed, not stored: any API replica that shares the admin token verifies it, and it
 * names the same principal as the token it was issued for. It only opens connections: an open socket stays.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Principal } from './auth.js';

/** Long enough to open a socket after asking, short enough that a ticket seen in a URL is soon worthless. */
export const TICKET_TTL_MS = 60_000;

const claims = z.object({ k: z.enum(['admin', 'project']), p: z.string().max(64).optional(), e: z.number().int() }).strict();

export type TicketIssuer = {
  issue(principal: Principal): { ticket: string; expiresAt: string };
  /** The principal a valid, unexpired ticket names; undefined for anything else. */
  verify(ticket: string): Principal | undefined;
};

export function ticketIssuer(adminToken: string, options: { ttlMs?: number; now?: () => number } = {}): TicketIssuer {
  const ttlMs = options.ttlMs ?? TICKET_TTL_MS;
  const now = options.now ?? Date.now;
  // A key of its own, derived from the admin token, so a ticket's signature says nothing about the token.
  const key = createHash('sha256').update('vibn stream ticket\0').update(adminToken).digest();
  const sign = (body: string) => createHmac('sha256', key).update(body).digest('base64url');

  return {
    issue(principal) {
      const e = now() + ttlMs;
      const body = Buffer.from(JSON.stringify(principal.kind === 'admin' ? { k: 'admin', e } : { k: 'project', p: principal.projectId, e })).toString('base64url');
      return { ticket: `${body}.${sign(body)}`, expiresAt: new Date(e).toISOString() };
    },
    verify(ticket) {
      const [body, signature, extra] = ticket.split('.');
      if (!body || !signature || extra !== undefined || ticket.length > 512) return undefined;
      const expected = Buffer.from(sign(body));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
      let parsed: z.output<typeof claims>;
      try {
        parsed = claims.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
      } catch {
        return undefined;
      }
      if (parsed.e <= now()) return undefined;
      if (parsed.k === 'admin') return { kind: 'admin' };
      return parsed.p ? { kind: 'project', projectId: parsed.p } : undefined;
    },
  };
}
