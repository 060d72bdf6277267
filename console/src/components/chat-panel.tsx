import type { ConversationState } from '../lib/use-conversation';
import { BudgetCard } from './budget-card';
import { Composer } from './composer';
import { MessageList } from './message-list';
import { RequestStatus } from './request-status';

type Props = {
  projectId: string;
  conversationId: string | null;
  conversation: ConversationState;
  onStarted: (conversationId: string) => void;
};

/** The founder's conversation with Assist: status, messages and plan cards, and what the founder can say next. */
export function ChatPanel({ projectId, conversationId, conversation, onStarted }: Props) {
  const { view, events, error, refresh } = conversation;

  if (!conversationId) {
    return (
      <section className="chat" data-testid="chat">
        <div className="intro">
          <h2>What should we work on?</h2>
          <p>Tell Assist what you want, in your own words. You'll see a plan before anything changes.</p>
        </div>
        <Composer mode={{ kind: 'request', projectId }} onSent={(id) => id && onStarted(id)} />
      </section>
    );
  }
  if (!view) return <section className="chat">{error ? <p className="error">{error}</p> : <p className="hint">Loading…</p>}</section>;

  const running = view.status === 'running';
  const lastMessage = view.messages.at(-1);
  // Assist is waiting for words from the founder: an answer to its question, or a remark on the plan card.
  const waitingForFounder = running && !view.budgetPause && (view.phase === 'awaiting_confirmation' || (view.phase === 'assisting' && lastMessage?.role === 'assist'));

  return (
    <section className="chat" data-testid="chat">
      <RequestStatus view={view} />
      <MessageList view={view} events={events} onChanged={refresh} />
      {view.budgetPause && running && <BudgetCard view={view} events={events} onChanged={refresh} />}
      {waitingForFounder && <Composer mode={{ kind: 'message', conversationId: view.id }} onSent={refresh} />}
      {!running && <Composer mode={{ kind: 'request', projectId }} onSent={(id) => id && onStarted(id)} />}
    </section>
  );
}
