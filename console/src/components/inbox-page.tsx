import type { InboxState } from '../lib/use-inbox';
import { InboxMessage } from './inbox-message';
import { NotificationList } from './notification-list';

type Props = { projectId: string; inbox: InboxState; onOpenConversation: (conversationId: string) => void };

/** What Assist says first: the monitor's findings and the morning briefings, newest first, and the notifications. */
export function InboxPage({ projectId, inbox, onOpenConversation }: Props) {
  const { messages, findings, notifications, unread, conversationId, error } = inbox;
  return (
    <main className="page inbox-page" data-testid="inbox-page">
      <h2>Inbox</h2>
      <p className="hint">What Assist noticed in your product and wrote in your morning briefings. Say the word and it starts on a fix.</p>
      {error && <p className="error">{error}</p>}
      {conversationId && messages.length === 0 && <p className="empty">Nothing yet: Assist writes here when it notices something, and every morning something happened.</p>}
      <ul className="inbox-messages" data-testid="inbox-messages">
        {messages.map((m) => (
          <InboxMessage
            key={m.seq}
            projectId={projectId}
            message={m}
            finding={m.findingId ? findings.get(m.findingId) : undefined}
            onChanged={inbox.refreshFindings}
            onOpenConversation={onOpenConversation}
          />
        ))}
      </ul>
      <NotificationList
        projectId={projectId}
        notifications={notifications}
        unread={unread}
        inboxConversationId={conversationId}
        onChanged={inbox.refreshNotifications}
        onOpenConversation={onOpenConversation}
      />
    </main>
  );
}
