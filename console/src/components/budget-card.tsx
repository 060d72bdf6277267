import { useState } from 'react';
import { useConsole } from '../lib/console-context';
import { useAction } from '../lib/use-action';
import { usd } from '../lib/describe';
import type { ConversationView, StreamEvent } from '../lib/types';

type Props = { view: ConversationView; events: StreamEvent[]; onChanged: () => void };

/** The request paused at its budget: spend more to finish, or stop here. */
export function BudgetCard({ view, events, onChanged }: Props) {
  const { api } = useConsole();
  const pause = view.budgetPause!;
  const suggested = [...events].reverse().find((e) => e.kind === 'budget.paused')?.payload.suggestedUsd;
  const [amount, setAmount] = useState(String(typeof suggested === 'number' ? suggested : Math.max(1, Math.ceil(pause.limitUsd / 2))));
  const { busy, error, run } = useAction();

  const answer = (raise: boolean) =>
    run(async () => {
      if (raise) {
        const amountUsd = Number(amount);
        if (!(amountUsd > 0)) throw new Error('Enter an amount in dollars, more than 0');
        await api.signal(view.id, 'budget', { amountUsd });
      } else {
        await api.signal(view.id, 'decline');
      }
      onChanged();
    });

  return (
    <div className="budget-card card" data-testid="budget-card">
      <strong>Paused at the budget</strong>
      <p>
        {usd(pause.spentUsd)} spent of {usd(pause.limitUsd)} ({pause.scope === 'request' ? "this request's budget" : "the project's monthly budget"}).
      </p>
      <label>
        Spend up to $
        <input type="number" min="0" step="1" value={amount} onChange={(e) => setAmount(e.target.value)} data-testid="budget-amount" /> more
      </label>
      <div className="actions">
        <button className="primary" disabled={busy} onClick={() => answer(true)} data-testid="budget-raise">Continue</button>
        <button className="danger" disabled={busy} onClick={() => answer(false)} data-testid="budget-decline">Stop here</button>
      </div>
      {error && <p className="error">{error}</p>}
    </div>
  );
}
