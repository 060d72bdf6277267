/**
 * The terminal's wire protocol, JSON text frames on `GET /api/projects/:projectId/terminal` (WebSocket):
 *
 *   client → server  {type:'input', data}                 keystrokes and pastes, as the terminal emits them
 *                    {type:'resize', cols, rows}          cols 1..500, rows 1..200
 *   server → client  {type:'ready', cwd}                  once the shell runs; cwd names the folder, not a host path
 *                    {type:'output', data}
 *                    {type:'exit', code}                  the shell ended (code null: ended by a signal); then close 1000
 *                    {type:'error', code, message}        code is stable; message is plain words for the founder
 *
 * Query: `cols`, `rows` for the initial size (default 80×24). Refusals before the upgrade are HTTP (401, 403,
 * 404 with the API's error body); after it, an error frame and one of the close codes below.
 */
import { z } from 'zod';

export const MIN_SIZE = 1;
export const MAX_COLS = 500;
export const MAX_ROWS = 200;
/** A client frame larger than this is refused: a paste, not a file upload. */
export const MAX_FRAME_BYTES = 64 * 1024;

const cols = z.coerce.number().int().min(MIN_SIZE).max(MAX_COLS);
const rows = z.coerce.number().int().min(MIN_SIZE).max(MAX_ROWS);

/** The URL's query. Not strict: the auth hook reads `ticket` from the same query. */
export const terminalQuery = z.object({ cols: cols.default(80), rows: rows.default(24) });

/** A frame the client may send. */
export const clientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('input'), data: z.string().max(MAX_FRAME_BYTES) }).strict(),
  z.object({ type: z.literal('resize'), cols: z.number().int().min(MIN_SIZE).max(MAX_COLS), rows: z.number().int().min(MIN_SIZE).max(MAX_ROWS) }).strict(),
]);
export type ClientFrame = z.output<typeof clientFrame>;

/** The stable codes of error frames. */
export type TerminalErrorCode =
  | 'invalid_frame'
  | 'too_many_terminals'
  | 'sandbox_unavailable'
  | 'workspace_unavailable'
  | 'token_revoked'
  | 'internal';

export type ServerFrame =
  | { type: 'ready'; cwd: string }
  | { type: 'output'; data: string }
  | { type: 'exit'; code: number | null }
  | { type: 'error'; code: TerminalErrorCode; message: string };

/** Close codes besides the standard ones (1000 after the shell's exit, 1001 when the API shuts down). */
export const CLOSE = {
  /** No input and no output for the idle time. */
  idle: 4000,
  /** The project already has its maximum of open terminals. */
  tooMany: 4029,
  /** The token the terminal was opened with was revoked or reissued: the shell and all it started are killed. */
  revoked: 4401,
  /** The shell could not be started (see the error frame sent just before). */
  unavailable: 4500,
} as const;
