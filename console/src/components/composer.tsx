import { useState, type FormEvent, type KeyboardEvent } from 'react';
import { useConsole } from '../lib/console-context';
import { useAction } from '../lib/use-action';

type Mode = { kind: 'request'; projectId: string } | { kind: 'message'; conversationId: string };

/** The founder's text box: a new request to Assist, or an answer to what Assist asked. */
export function Composer({ mode, onSent }: { mode: Mode; onSent: (conversationId?: string) => void }) {
  const { api } = useConsole();
  const [text, setText] = useState('');
  const { busy, error, run } = useAction();

  const send = async (e?: FormEvent) => {
    e?.preventDefault();
    const value = text.trim();
    if (!value || busy) return;
    await run(async () => {
      if (mode.kind === 'request') {
        const { conversationId } = await api.startRequest(mode.projectId, value);
        setText('');
        onSent(conversationId);
      } else {
        await api.signal(mode.conversationId, 'message', { text: value });
        setText('');
        onSent();
      }
    });
  };

  // Enter sends, Shift+Enter is a new line: the way chat boxes behave.
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey) void send(e);
  };

  return (
    <form className="composer" onSubmit={send} data-testid="composer" data-mode={mode.kind}>
      <textarea
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKey}
        placeholder={mode.kind === 'request' ? 'Ask Assist for something new…' : 'Answer Assist…'}
        rows={3}
        data-testid="composer-input"
        aria-label={mode.kind === 'request' ? 'New request' : 'Your answer'}
      />
      <button type="submit" className="primary" disabled={busy || !text.trim()} data-testid="composer-send">
        {busy ? 'Sending…' : 'Send'}
      </button>
      {error && <p className="error">{error}</p>}
    </form>
  );
}
