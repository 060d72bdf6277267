/**
 * One terminal, from the accepted WebSocket to the shell's end: frames in, PTY output out, idle close,
 * backpressure, and one clean-up however it ends (client gone, shell exited, idle, API shutting down).
 * Nothing typed or printed is logged: a terminal carries passwords and keys.
 */
import type { WebSocket } from 'ws';
import type { Logger } from '../../lib/logger.js';
import type { PtyShell } from '../../runtime/terminal/pty-shell.js';
import { CLOSE, clientFrame, MAX_FRAME_BYTES, type ServerFrame, type TerminalErrorCode } from './protocol.js';

export type TerminalLimits = {
  /** No input and no output for this long closes the terminal. */
  idleMs: number;
  /** Above this many unsent bytes the PTY is paused; it resumes below half of it. */
  maxBufferedBytes: number;
  /** How often a paused PTY looks whether the client has caught up. */
  drainPollMs: number;
  /** How often an open terminal marks its workspace as in use. */
  touchEveryMs: number;
};

export type TerminalConnection = {
  /** Sends an error frame and closes with `code`. */
  fail(errorCode: TerminalErrorCode, message: string, code: number): void;
  /** Whether the client is still there. */
  readonly open: boolean;
  /** Connects the started shell to the socket and says `ready`; `cwd` names its folder to the founder. */
  attach(shell: PtyShell, cwd: string): void;
  /** Ends the terminal: closes the socket with `code` and kills the shell. Resolves once the shell is gone. */
  end(code: number, reason: string): Promise<void>;
  /** Runs once, after the socket closed and the shell (if any) is gone. */
  onEnded(listener: () => void): void;
};

export function terminalConnection(
  socket: WebSocket,
  options: { limits: TerminalLimits; log: Logger; touch: () => Promise<void>; initialSize: { cols: number; rows: number } },
): TerminalConnection {
  const { limits, log } = options;
  let shell: PtyShell | undefined;
  let size = options.initialSize;
  // Input typed before the shell is up is kept (bounded) and written once it is.
  let early = '';
  let ended: Promise<void> | undefined;
  const endedListeners: Array<() => void> = [];
  const timers: NodeJS.Timeout[] = [];

  const send = (frame: ServerFrame) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
  };
  const error = (code: TerminalErrorCode, message: string) => send({ type: 'error', code, message });

  const idle = setTimeout(() => void end(CLOSE.idle, `idle for ${Math.round(limits.idleMs / 1000)} s`), limits.idleMs);
  timers.push(idle);
  const active = () => idle.refresh();

  function onFrame(data: Buffer, isBinary: boolean) {
    if (isBinary || data.length > MAX_FRAME_BYTES) return error('invalid_frame', `Frames are JSON text of at most ${MAX_FRAME_BYTES} bytes`);
    let json: unknown;
    try {
      json = JSON.parse(data.toString('utf8'));
    } catch {
      return error('invalid_frame', 'A frame must be JSON');
    }
    const parsed = clientFrame.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return error('invalid_frame', `${issue?.path.map(String).join('.') || 'frame'}: ${issue?.message ?? 'invalid'}`);
    }
    const frame = parsed.data;
    if (frame.type === 'resize') {
      size = { cols: frame.cols, rows: frame.rows };
      return shell?.resize(size.cols, size.rows);
    }
    active();
    if (shell) return shell.write(frame.data);
    if (early.length + frame.data.length > MAX_FRAME_BYTES) return error('invalid_frame', 'The shell is still starting; send that again once it is ready');
    early += frame.data;
  }

  socket.on('message', (data: Buffer, isBinary: boolean) => onFrame(data, isBinary));
  socket.on('close', () => void end(1000, 'closed by the client'));
  // A reset connection: the close event follows; the error itself says nothing the founder can act on.
  socket.on('error', (err) => log.debug({ err }, 'terminal socket error'));

  /** Pauses the PTY while the client is behind, so a `yes` or a big `cat` cannot fill the API's memory. */
  function throttle(pty: PtyShell) {
    if (socket.bufferedAmount <= limits.maxBufferedBytes) return;
    pty.pause();
    const poll = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return clearInterval(poll);
      if (socket.bufferedAmount > limits.maxBufferedBytes / 2) return;
      clearInterval(poll);
      pty.resume();
    }, limits.drainPollMs);
    timers.push(poll);
  }

  function attach(started: PtyShell, cwd: string) {
    shell = started;
    // The client may have resized while the shell started.
    started.resize(size.cols, size.rows);
    started.onData((data) => {
      active();
      send({ type: 'output', data });
      throttle(started);
    });
    started.onExit((code) => {
      send({ type: 'exit', code });
      void end(1000, 'the shell exited');
    });
    const touch = setInterval(() => void options.touch().catch((err) => log.warn({ err }, 'terminal could not mark its workspace in use')), limits.touchEveryMs);
    touch.unref();
    timers.push(touch);
    send({ type: 'ready', cwd });
    if (early) started.write(early);
    early = '';
  }

  function end(code: number, reason: string): Promise<void> {
    ended ??= (async () => {
      for (const t of timers) clearTimeout(t);
      if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason);
      await shell?.close();
      log.info({ code, reason }, 'terminal closed');
      for (const listener of endedListeners) listener();
    })();
    return ended;
  }

  return {
    fail(errorCode, message, code) {
      error(errorCode, message);
      void end(code, errorCode);
    },
    get open() {
      return socket.readyState === socket.OPEN && ended === undefined;
    },
    attach,
    end,
    onEnded: (listener) => void endedListeners.push(listener),
  };
}
