import { useEffect, useState } from 'react';
import { useConsole } from '../lib/console-context';
import type { ConversationSummary } from '../lib/types';

type Props = { projectId: string; current: string | null; reloadKey: string; onOpen: (id: string | null) => void };

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** The project's recent conversations, newest first, and a way to start a new one. */
export function ConversationList({ projectId, current, reloadKey, onOpen }: Props) {
  const { api } = useConsole();
  const [list, setList] = useState<ConversationSummary[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api.conversations(projectId).then(
      (c) => live && setList(c),
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
    };
  }, [api, projectId, reloadKey]);

  return (
    <aside className="conversation-list" data-testid="conversation-list">
      <button className="primary new-request" onClick={() => onOpen(null)} data-testid="new-request">
        New request
      </button>
      {error && <p className="error">{error}</p>}
      <ul>
        {list.map((c) => (
          <li key={c.id}>
            <button className={c.id === current ? 'active' : ''} onClick={() => onOpen(c.id)} data-testid="conversation-link" data-id={c.id}>
              <span className="request-text">{c.requestText}</span>
              <span className="meta">
                {c.status === 'running' ? 'In progress' : c.outcome === 'declined' ? 'Declined' : c.status === 'completed' ? 'Done' : c.status === 'failed' ? 'Did not finish' : 'Stopped'}
                {' · '}
                {when(c.createdAt)}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </aside>
  );
}
