/**
 * Revocation ends access now: every socket opened with a project token (a Terminal, the live stream, an SSE
 * stream) is watched here, and closed within seconds once that token is revoked or reissued, or its project
 * deleted, whichever API process did it.
 *
 * Each process re-reads the tokens of its open sockets every `everyMs`, one query for all of them, rather than
 * waiting for a NOTIFY: a notification sent while the LISTEN connection is down is lost, and a lost revocation
 * would leave a shell running for good, while a poll catches up by itself. The revoke route also calls
 * `checkNow`, so the process that revoked closes its own sockets at once. The timer runs only while something
 * is watched.
 */
import type { Db } from '../db/client.js';
import { currentTokenIds } from '../db/queries/access-tokens.js';
import type { Logger } from '../lib/logger.js';
import type { Principal } from './auth.js';

/** How often open sockets' tokens are checked by default: "within seconds", for one cheap query. */
export const REVOCATION_CHECK_MS = 2_000;

type Watched = { projectId: string; tokenId: string; onRevoked: () => void };

export type RevocationWatch = {
  /**
   * Calls `onRevoked` once, when the token behind `principal` no longer stands. Returns the function that
   * stops watching (call it when the socket closes). The admin token is the operator's and is never revoked.
   */
  watch(principal: Principal | undefined, onRevoked: () => void): () => void;
  /** Checks every watched token now. */
  checkNow(): Promise<void>;
  /** How many sockets are watched (for tests and health). */
  readonly size: number;
  /** Stops the timer; nothing is watched after. */
  close(): void;
};

export function revocationWatch(db: Db, log: Pick<Logger, 'warn' | 'info'>, everyMs = REVOCATION_CHECK_MS): RevocationWatch {
  const watched = new Set<Watched>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  function stopTimerIfIdle() {
    if (watched.size > 0 || !timer) return;
    clearInterval(timer);
    timer = undefined;
  }

  async function check(): Promise<void> {
    const entries = [...watched];
    if (entries.length === 0) return;
    let current: Map<string, string>;
    try {
      current = await currentTokenIds(db, [...new Set(entries.map((e) => e.projectId))]);
    } catch (err) {
      // Postgres away: nobody can authenticate meanwhile either; the next tick checks again.
      log.warn({ err }, 'could not check open sockets for revoked tokens');
      return;
    }
    for (const entry of entries) {
      if (!watched.has(entry) || current.get(entry.projectId) === entry.tokenId) continue;
      watched.delete(entry);
      log.info({ projectId: entry.projectId }, 'closing a socket: its token was revoked');
      try {
        entry.onRevoked();
      } catch (err) {
        log.warn({ err }, 'closing a revoked socket failed');
      }
    }
    stopTimerIfIdle();
  }

  /** One check at a time; a call during one runs another after it, so a revocation just made is seen. */
  function checkNow(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await check();
        } while (again && !closed);
      } finally {
        // Cleared in the same step as the last `again` was read, so no later call can be left waiting on it.
        running = undefined;
      }
    })();
    return running;
  }

  return {
    watch(principal, onRevoked) {
      if (closed || principal?.kind !== 'project') return () => undefined;
      const entry: Watched = { projectId: principal.projectId.toLowerCase(), tokenId: principal.tokenId, onRevoked };
      watched.add(entry);
      if (!timer) {
        timer = setInterval(() => void checkNow(), everyMs);
        // Sockets keep the process alive on their own; this timer must not.
        timer.unref();
      }
      return () => {
        watched.delete(entry);
        stopTimerIfIdle();
      };
    },
    checkNow,
    get size() {
      return watched.size;
    },
    close() {
      closed = true;
      watched.clear();
      stopTimerIfIdle();
    },
  };
}
