/**
 * `GET /api/projects/:projectId/terminal` (WebSocket): a shell for the founder in the project's sandboxed
 * workspace, on a PTY. The protocol is in protocol.ts. Who may open one is decided before the upgrade (the
 * auth hook, then the project's access and existence, answered as HTTP errors); after it, a slot under the
 * per-project cap, the worktree, and the sandboxed shell.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Db } from '../../db/client.js';
import type { ProjectView } from '../../db/queries/projects.js';
import type { Logger } from '../../lib/logger.js';
import { CommandsRefusedError } from '../../runtime/sandbox/index.js';
import type { DiskSetting } from '../../runtime/workspace/project-disk.js';
import { startShell } from '../../runtime/terminal/pty-shell.js';
import { gitCommonDirOf } from '../../runtime/terminal/shell-command.js';
import { TERMINAL_CWD } from '../../runtime/terminal/terminal-worktree.js';
import { sandboxFor } from '../../runtime/workspace/sandbox-context.js';
import { requireAccess } from '../auth.js';
import { parseInput } from '../errors.js';
import type { RevocationWatch } from '../revocation-watch.js';
import { requireProject, uuidParam } from '../routes/projects.js';
import { CLOSE, terminalQuery } from './protocol.js';
import { terminalConnection, type TerminalLimits } from './terminal-connection.js';
import { TerminalRegistry } from './terminal-registry.js';
import { keepWorkspaceInUse, openTerminalWorkspace } from './terminal-workspace.js';

export type TerminalDeps = {
  db: Db;
  home: string;
  logger: Logger;
  /** Run shells without bubblewrap: only where the operator set VIBN_UNSANDBOXED=1. */
  unsandboxed?: boolean;
  /** Each project's disk (default: bounded), mounted before its terminal opens. */
  disk?: DiskSetting;
  /** No input and no output for this long closes a terminal; default 15 minutes. */
  idleMs?: number;
  /** Open terminals a project may have at once in this API process; default 3. */
  maxPerProject?: number;
  /** Unsent output above which a terminal's PTY is paused; default 1 MiB. */
  maxBufferedBytes?: number;
  /** Ends a terminal when the token it was opened with is revoked. */
  revocations: RevocationWatch;
};

export const TERMINAL_DEFAULTS = { idleMs: 15 * 60_000, maxPerProject: 3, maxBufferedBytes: 1024 * 1024 } as const;

const params = z.object({ projectId: uuidParam });

export function terminalRoutes(app: FastifyInstance, deps: TerminalDeps) {
  // @fastify/websocket may be registered once per server (each registration answers every upgrade), so it is
  // registered by the scope this route is added to, not here. Without it the route would never upgrade.
  if (!app.hasDecorator('websocketServer')) {
    deps.logger.error('the terminal is off: register @fastify/websocket on the scope terminalRoutes is given');
    return;
  }
  const registry = new TerminalRegistry(deps.maxPerProject ?? TERMINAL_DEFAULTS.maxPerProject);
  const limits: TerminalLimits = {
    idleMs: deps.idleMs ?? TERMINAL_DEFAULTS.idleMs,
    maxBufferedBytes: deps.maxBufferedBytes ?? TERMINAL_DEFAULTS.maxBufferedBytes,
    drainPollMs: 50,
    touchEveryMs: 5 * 60_000,
  };
  // The project each accepted request names, found before the upgrade.
  const projects = new WeakMap<FastifyRequest, ProjectView>();

  // Shells are processes of their own: the API does not stop before they are gone.
  app.addHook('onClose', async () => registry.endAll(1001, 'the API is shutting down'));

  app.get(
    '/api/projects/:projectId/terminal',
    {
      websocket: true,
      // A refused upgrade (401 from the auth hook, 403, 404) is answered over a socket node's HTTP server no
      // longer manages; left open it would hold app.close() forever, so it is closed once the answer is out.
      onResponse: async (req) => {
        if (req.headers.upgrade) req.raw.socket.destroy();
      },
      // Before the upgrade, so a refusal is the API's usual HTTP error and no socket is opened for it.
      preValidation: async (req) => {
        const { projectId } = parseInput(params, req.params, 'params');
        requireAccess(req, projectId);
        parseInput(terminalQuery, req.query, 'query');
        projects.set(req, await requireProject(deps, projectId));
      },
    },
    (socket: WebSocket, req) => {
      const project = projects.get(req)!;
      const size = parseInput(terminalQuery, req.query, 'query');
      const log = deps.logger.child({ projectId: project.id, reqId: req.id });
      const conn = terminalConnection(socket, { limits, log, touch: () => keepWorkspaceInUse(deps.home, project.id), initialSize: size });

      const slot = registry.reserve(project.id);
      if (!slot) {
        return conn.fail('too_many_terminals', `This project already has ${registry.maxPerProject} terminals open; close one first.`, CLOSE.tooMany);
      }
      slot.attach(conn);
      // Watched from the upgrade on, so a revocation while the shell starts ends it too (open() checks conn.open).
      const unwatch = deps.revocations.watch(req.principal, () =>
        conn.fail('token_revoked', 'This terminal was closed because the access token it was opened with was revoked. Sign in again with a current token.', CLOSE.revoked),
      );
      conn.onEnded(() => {
        unwatch();
        slot.release();
      });
      log.info('terminal opening');
      void open(conn, project, size, log);
    },
  );

  async function open(conn: ReturnType<typeof terminalConnection>, project: ProjectView, size: { cols: number; rows: number }, log: Logger) {
    let workspace: { dir: string; repo: string };
    try {
      workspace = await openTerminalWorkspace(deps, project);
    } catch (err) {
      if (err instanceof CommandsRefusedError) {
        log.error({ reason: err.reason }, 'terminal refused: no disk for the project');
        return conn.fail('sandbox_unavailable', err.message, CLOSE.unavailable);
      }
      log.warn({ err }, 'terminal workspace could not be prepared');
      return conn.fail('workspace_unavailable', "The project's repository could not be cloned or checked out; check its URL and git credentials, then try again.", CLOSE.unavailable);
    }
    if (!conn.open) return;
    try {
      const shell = await startShell({
        worktree: workspace.dir,
        sandbox: sandboxFor(workspace.dir, deps.unsandboxed ?? false, project, deps.disk === 'unbounded'),
        gitCommonDir: gitCommonDirOf(workspace.repo),
        ...size,
      });
      // The client left, or the API began shutting down, while the shell started.
      if (!conn.open) return void shell.close();
      conn.attach(shell, TERMINAL_CWD);
      log.info('terminal ready');
    } catch (err) {
      if (err instanceof CommandsRefusedError) {
        log.error({ reason: err.reason }, 'terminal refused: no sandbox or no bounds');
        return conn.fail('sandbox_unavailable', err.message, CLOSE.unavailable);
      }
      log.error({ err }, 'terminal shell could not start');
      conn.fail('internal', 'The shell could not be started; try again.', CLOSE.unavailable);
    }
  }
}
