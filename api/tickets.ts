/**
 * Stream tickets: browsers cannot set an Authorization header on a WebSocket or an EventSource, so the console
 * trades its bearer token for a short-lived ticket (POST /api/stream/tickets) and opens the socket with
 * `?ticket=`. A ticket is signed with a key derived from the admin token, so any API process verifies it, and
 * it names the token it was issued for (project and token id). It opens one socket: its first use is recorded
 * in Postgres (`used_stream_tickets`), atomically with the check that its token still stands, so a second use
 * anywhere, or a use after the token was revoked or reissued, is refused even within its minute.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { sweepUsedTickets, useTicketOnce } from '../db/queries/access-tokens.js';
import type { Principal } from './auth.js';

/** Long enough to open a socket after asking, short enough that a ticket seen in a URL is soon worthless. */
export const TICKET_TTL_MS = 60_000;
/** Use records are kept this long past expiry, so API processes whose clocks differ a little still agree. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** How often one process sweeps expired use records. */
const SWEEP_EVERY_MS = 60_000;

const claims = z
  .object({
    n: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
    k: z.enum(['admin', 'project']),
    p: z.guid().optional(),
    t: z.string().regex(/^[0-9a-f]{16}$/).optional(),
    e: z.number().int(),
  })
  .strict();

/**
 * What a ticket opens: the principal, or why not. `forged` is a ticket this API never signed (a guess, counted
 * against the caller's address like a wrong token); `expired` and `spent` (used already, or its token revoked
 * or reissued) are tickets we issued, which an honest client may present late, so they are not counted.
 */
export type TicketRedemption = { ok: true; principal: Principal } | { ok: false; reason: 'forged' | 'expired' | 'spent' };

export type TicketIssuer = {
  issue(principal: Principal): { ticket: string; expiresAt: string };
  /** Whether the ticket is one this API signed, checked in memory (no Postgres): a guess fails here. */
  signed(ticket: string): boolean;
  /** Checks a ticket and records its one use. */
  redeem(ticket: string): Promise<TicketRedemption>;
};

export function ticketIssuer(db: Db, adminToken: string, options: { ttlMs?: number; now?: () => number } = {}): TicketIssuer {
  const ttlMs = options.ttlMs ?? TICKET_TTL_MS;
  const now = options.now ?? Date.now;
  // A key of its own, derived from the admin token, so a ticket's signature says nothing about the token.
  const key = createHash('sha256').update('vibn stream ticket\0').update(adminToken).digest();
  const sign = (body: string) => createHmac('sha256', key).update(body).digest('base64url');
  let lastSweep = 0;

  function parse(ticket: string): z.output<typeof claims> | undefined {
    if (ticket.length > 512) return undefined;
    const [body, signature, extra] = ticket.split('.');
    if (!body || !signature || extra !== undefined) return undefined;
    const expected = Buffer.from(sign(body));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const parsed = claims.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
      return parsed.k === 'admin' || (parsed.p && parsed.t) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  function sweep() {
    if (now() - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = now();
    // Best effort: a failed sweep leaves rows for the next one, and refusals never depend on it.
    void sweepUsedTickets(db, new Date(now() - CLOCK_SKEW_MS)).catch(() => undefined);
  }

  return {
    issue(principal) {
      const e = now() + ttlMs;
      const n = randomBytes(16).toString('base64url');
      const body = principal.kind === 'admin' ? { n, k: 'admin', e } : { n, k: 'project', p: principal.projectId, t: principal.tokenId, e };
      const encoded = Buffer.from(JSON.stringify(body)).toString('base64url');
      return { ticket: `${encoded}.${sign(encoded)}`, expiresAt: new Date(e).toISOString() };
    },
    signed: (ticket) => parse(ticket) !== undefined,
    async redeem(ticket) {
      const parsed = parse(ticket);
      if (!parsed) return { ok: false, reason: 'forged' };
      if (parsed.e <= now()) return { ok: false, reason: 'expired' };
      sweep();
      const token = parsed.k === 'project' ? { projectId: parsed.p!, tokenId: parsed.t! } : undefined;
      if (!(await useTicketOnce(db, { nonce: parsed.n, expiresAt: new Date(parsed.e), token }))) return { ok: false, reason: 'spent' };
      return { ok: true, principal: token ? { kind: 'project', ...token } : { kind: 'admin' } };
    },
  };
}
