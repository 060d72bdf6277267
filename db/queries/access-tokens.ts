/**
 * What revocation asks of Postgres: whether the token a socket or a ticket was opened with still stands, and
 * the one-time use of a ticket. Shared by every API process, so a revocation in one is seen by all.
 */
import { inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { projects, usedStreamTickets } from '../schema.js';

/**
 * A token's identity, as tickets and open sockets carry it: the first 16 hex digits of its stored SHA-256.
 * There is one active token per project and no token table; the hash is what changes when a token is
 * reissued or revoked. Not a credential: nothing accepts it in place of the token.
 */
export const tokenIdOf = (tokenHash: string) => tokenHash.slice(0, 16);

/** The current token id of each project asked about; a project without a token, or gone, is left out. */
export async function currentTokenIds(db: Db, projectIds: string[]): Promise<Map<string, string>> {
  if (projectIds.length === 0) return new Map();
  const rows = await db.select({ id: projects.id, tokenHash: projects.tokenHash }).from(projects).where(inArray(projects.id, projectIds));
  return new Map(rows.flatMap((r) => (r.tokenHash ? [[r.id.toLowerCase(), tokenIdOf(r.tokenHash)] as const] : [])));
}

/**
 * Records a ticket's first use, in one statement so two API processes cannot both win: true when this is its
 * first use and, for a project's ticket, the project's token is still the one that asked for it.
 */
export async function useTicketOnce(
  db: Db,
  ticket: { nonce: string; expiresAt: Date; token?: { projectId: string; tokenId: string } },
): Promise<boolean> {
  const stands = ticket.token
    ? sql`exists (select 1 from ${projects} where ${projects.id} = ${ticket.token.projectId}::uuid and left(${projects.tokenHash}, 16) = ${ticket.token.tokenId})`
    : sql`true`;
  const { rows } = await db.execute<{ nonce: string }>(sql`
    insert into ${usedStreamTickets} (nonce, expires_at)
    select ${ticket.nonce}, ${ticket.expiresAt.toISOString()}::timestamptz where ${stands}
    on conflict (nonce) do nothing
    returning nonce`);
  return rows.length === 1;
}

/** Removes the records of tickets expired before `before`: they are refused by their expiry alone. */
export async function sweepUsedTickets(db: Db, before: Date): Promise<void> {
  await db.delete(usedStreamTickets).where(lt(usedStreamTickets.expiresAt, before));
}
