import { useState } from 'react';
import { useConsole } from '../lib/console-context';
import type { Notification } from '../lib/types';

type Props = {
  projectId: string;
  notifications: Notification[];
  unread: number;
  /** The monitoring conversation: a notification about it is already on this page. */
  inboxConversationId: string | null;
  onChanged: () => void;
  onOpenConversation: (conversationId: string) => void;
};

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** The founder's feed, newest first: what finished, failed or was noticed, unread ones marked, and "Mark all read". */
export function NotificationList({ projectId, notifications, unread, inboxConversationId, onChanged, onOpenConversation }: Props) {
  const { api } = useConsole();
  const [error, setError] = useState<string | null>(null);

  const mark = (which: { ids: string[] } | { all: true }) =>
    api.markNotificationsRead(projectId, which).then(onChanged, (err: Error) => setError(err.message));
  const open = (n: Notification) => {
    if (!n.readAt) void mark({ ids: [n.id] });
    if (n.conversationId) onOpenConversation(n.conversationId);
  };

  return (
    <section className="notifications" data-testid="notifications">
      <div className="inbox-head">
        <h3>Notifications</h3>
        {unread > 0 && (
          <button className="link" onClick={() => void mark({ all: true })} data-testid="mark-all-read">
            Mark all read
          </button>
        )}
      </div>
      {error && <p className="error">{error}</p>}
      {notifications.length === 0 && <p className="empty">No notifications yet.</p>}
      <ul>
        {notifications.map((n) => (
          <li key={n.id} className={`notification ${n.readAt ? 'read' : 'unread'}`} data-testid="notification" data-id={n.id} data-kind={n.kind} data-read={n.readAt ? 'true' : 'false'}>
            <div className="inbox-head">
              <strong>{n.title}</strong>
              <span className="muted">{when(n.createdAt)}</span>
            </div>
            <p className="notification-body">{n.body}</p>
            {n.conversationId && n.conversationId !== inboxConversationId && (
              <button className="link" onClick={() => open(n)}>
                Open the conversation
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
