import { useState } from 'react';
import { useConsole } from '../lib/console-context';
import { useAction } from '../lib/use-action';
import type { ConversationView, PlanCard as Plan } from '../lib/types';
import { ScriptedLabel } from './scripted-label';

type Props = { plan: Plan; scripted: boolean; view: ConversationView; onChanged: () => void };

/** How a card that is no longer on the table ended. */
function verdict(plan: Plan, view: ConversationView): string | null {
  if (view.plan && plan.version < view.plan.version) return 'Replaced by a revised plan';
  if (view.outcome === 'declined') return 'Declined';
  if (view.status === 'running' && view.phase === 'awaiting_confirmation') return null;
  if (view.phase === 'planning' || view.phase === 'executing' || view.phase === 'integrating' || view.outcome === 'tasked') return 'Confirmed';
  if (view.outcome === 'deferred') return 'Not answered in time';
  return view.status === 'running' ? null : 'Closed';
}

/** Assist's plan in plain sentences, with Confirm / Revise / Decline while it awaits the founder. */
export function PlanCard({ plan, scripted, view, onChanged }: Props) {
  const { api } = useConsole();
  const [revising, setRevising] = useState(false);
  const [revision, setRevision] = useState('');
  const { busy, error, run } = useAction();
  const onTable = view.status === 'running' && view.phase === 'awaiting_confirmation' && view.plan?.version === plan.version;
  const ended = verdict(plan, view);

  const act = (action: 'confirm' | 'decline' | 'revise') =>
    run(async () => {
      if (action === 'confirm') await api.signal(view.id, 'confirm', { planVersion: plan.version });
      else if (action === 'decline') await api.signal(view.id, 'decline');
      else await api.signal(view.id, 'revise', { text: revision.trim() });
      setRevising(false);
      setRevision('');
      onChanged();
    });

  return (
    <li className="plan-card card" data-testid="plan-card" data-version={plan.version} data-on-table={onTable}>
      <header>
        <strong>The plan</strong>
        {scripted && <ScriptedLabel />}
        <span className="estimate">about {plan.estimatedMinutes} min</span>
      </header>
      <p className="summary">{plan.summary}</p>
      <ul className="items">
        {plan.items.map((item, i) => (
          <li key={i}>{item.text}</li>
        ))}
      </ul>
      {ended && <p className="verdict" data-testid="plan-verdict">{ended}</p>}
      {onTable && !revising && (
        <div className="actions">
          <button className="primary" disabled={busy} onClick={() => act('confirm')} data-testid="plan-confirm">Confirm</button>
          <button disabled={busy} onClick={() => setRevising(true)} data-testid="plan-revise">Revise</button>
          <button className="danger" disabled={busy} onClick={() => act('decline')} data-testid="plan-decline">Decline</button>
        </div>
      )}
      {onTable && revising && (
        <form
          className="revise"
          onSubmit={(e) => {
            e.preventDefault();
            if (revision.trim()) void act('revise');
          }}
        >
          <textarea value={revision} onChange={(e) => setRevision(e.target.value)} placeholder="What should change?" rows={2} data-testid="revise-text" autoFocus />
          <div className="actions">
            <button type="submit" className="primary" disabled={busy || !revision.trim()} data-testid="revise-send">Ask for a new plan</button>
            <button type="button" onClick={() => setRevising(false)}>Cancel</button>
          </div>
        </form>
      )}
      {error && <p className="error">{error}</p>}
    </li>
  );
}
