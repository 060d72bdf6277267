import { useConsole } from '../lib/console-context';
import { useAction } from '../lib/use-action';
import type { Finding } from '../lib/types';
import type { InboxMessage as Message } from '../lib/use-inbox';
import { AutomaticLabel } from './automatic-label';
import { ScriptedLabel } from './scripted-label';

type Props = {
  projectId: string;
  message: Message;
  /** The finding the message raised, once the API has given it. */
  finding: Finding | undefined;
  onChanged: () => void;
  onOpenConversation: (conversationId: string) => void;
};

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** One of Assist's first words: a finding, with "Fix it" and "Dismiss" while it is open, or a briefing. */
export function InboxMessage({ projectId, message, finding, onChanged, onOpenConversation }: Props) {
  const { api } = useConsole();
  const { busy, error, run } = useAction();

  // "Fix it" opens the new conversation: the buttons stay disabled on the way there.
  const act = async () => {
    if (!finding) return;
    await run(
      async () => {
        const { conversationId } = await api.actOnFinding(projectId, finding.id);
        onChanged();
        onOpenConversation(conversationId);
      },
      { stayBusy: true },
    );
  };
  const dismiss = async () => {
    if (!finding) return;
    await run(async () => {
      await api.dismissFinding(projectId, finding.id);
      onChanged();
    });
  };

  const heading = message.replyKind === 'briefing' ? 'Morning briefing' : message.findingId ? 'Assist noticed' : 'Assist';
  return (
    <li
      className={`card inbox-message ${message.replyKind}`}
      data-testid="inbox-message"
      data-kind={message.replyKind}
      data-finding-id={message.findingId ?? undefined}
      data-status={finding?.status}
    >
      <div className="inbox-head">
        <span className="who">{heading}</span>
        {message.automatic && <AutomaticLabel />}
        {message.scripted && <ScriptedLabel />}
        <span className="muted">{when(message.at)}</span>
      </div>
      <p className="inbox-text">{message.text}</p>
      {finding?.status === 'open' && (
        <div className="actions">
          <button className="primary" disabled={busy} onClick={act} data-testid="finding-act">Fix it</button>
          <button disabled={busy} onClick={dismiss} data-testid="finding-dismiss">Dismiss</button>
        </div>
      )}
      {finding?.status === 'acted' && finding.actedConversationId && (
        <p className="muted">
          Assist is on it.{' '}
          <button className="link" onClick={() => onOpenConversation(finding.actedConversationId!)} data-testid="finding-conversation">
            Open the conversation
          </button>
        </p>
      )}
      {finding?.status === 'dismissed' && <p className="muted">Dismissed.</p>}
      {error && <p className="error">{error}</p>}
    </li>
  );
}
