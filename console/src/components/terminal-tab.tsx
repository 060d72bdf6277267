import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { socketUrl } from '../lib/api';
import { useConsole } from '../lib/console-context';

type Props = { projectId: string; visible: boolean };

type ServerFrame = { type: 'ready'; cwd: string } | { type: 'output'; data: string } | { type: 'exit'; code: number } | { type: 'error'; code: string; message: string };

/**
 * A shell in the project's sandboxed workspace, over WS /api/projects/:projectId/terminal. JSON text frames:
 * input and resize up, ready / output / exit / error down.
 */
export function TerminalTab({ projectId, visible }: Props) {
  const { api } = useConsole();
  const host = useRef<HTMLDivElement>(null);
  const fitRef = useRef<FitAddon | null>(null);
  const [state, setState] = useState<'connecting' | 'ready' | 'ended'>('connecting');
  const [message, setMessage] = useState<string | null>(null);
  const [session, setSession] = useState(0);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const term = new Terminal({ convertEol: false, cursorBlink: true, fontSize: 13, fontFamily: 'ui-monospace, Menlo, Consolas, monospace' });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    fitRef.current = fit;
    try {
      fit.fit();
    } catch {
      // Not laid out yet (hidden): the resize observer fits it once it shows.
    }
    let socket: WebSocket | null = null;
    let closed = false;
    setState('connecting');
    setMessage(null);

    const send = (frame: object) => {
      if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
    };
    api.ticket().then(
      (ticket) => {
        if (closed) return;
        const query = new URLSearchParams({ ticket, cols: String(term.cols), rows: String(term.rows) });
        socket = new WebSocket(socketUrl(`/api/projects/${encodeURIComponent(projectId)}/terminal?${query}`));
        socket.onmessage = (ev) => {
          let frame: ServerFrame;
          try {
            frame = JSON.parse(String(ev.data)) as ServerFrame;
          } catch {
            return;
          }
          if (frame.type === 'output') term.write(frame.data);
          else if (frame.type === 'ready') {
            setState('ready');
            term.focus();
          } else if (frame.type === 'exit') {
            setState('ended');
            setMessage(`The shell ended (exit code ${frame.code}).`);
          } else if (frame.type === 'error') setMessage(frame.message);
        };
        socket.onclose = () => {
          if (!closed) setState('ended');
        };
      },
      (err: Error) => {
        setState('ended');
        setMessage(err.message);
      },
    );
    const input = term.onData((data) => send({ type: 'input', data }));
    const resize = term.onResize(({ cols, rows }) => send({ type: 'resize', cols, rows }));
    const observer = new ResizeObserver(() => {
      if (el.offsetParent !== null) fit.fit();
    });
    observer.observe(el);

    return () => {
      closed = true;
      observer.disconnect();
      input.dispose();
      resize.dispose();
      socket?.close();
      term.dispose();
      fitRef.current = null;
    };
  }, [api, projectId, session]);

  useEffect(() => {
    if (visible) fitRef.current?.fit();
  }, [visible]);

  return (
    <div className="terminal" data-testid="terminal" data-state={state} hidden={!visible}>
      <div className="terminal-bar">
        <span className="hint">A shell in your project's workspace. {state === 'connecting' ? 'Connecting…' : state === 'ready' ? 'Connected.' : 'Disconnected.'}</span>
        {message && <span className="error" data-testid="terminal-message">{message}</span>}
        {state === 'ended' && (
          <button onClick={() => setSession((s) => s + 1)} data-testid="terminal-reconnect">
            Start again
          </button>
        )}
      </div>
      <div className="terminal-screen" ref={host} />
    </div>
  );
}
