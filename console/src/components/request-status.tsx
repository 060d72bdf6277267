import { useState } from 'react';
import { useConsole } from '../lib/console-context';
import { phaseText, usd } from '../lib/describe';
import type { ConversationView } from '../lib/types';

/** Where the request is, what it has cost, a Stop button while it runs, and its page in Temporal. */
export function RequestStatus({ view }: { view: ConversationView }) {
  const { api } = useConsole();
  const [error, setError] = useState<string | null>(null);
  const [stopping, setStopping] = useState(false);
  const running = view.status === 'running';

  const stop = () => {
    setStopping(true);
    setError(null);
    api.signal(view.id, 'stop').catch((err: Error) => {
      setError(err.message);
      setStopping(false);
    });
  };

  return (
    <div className="request-status" data-testid="request-status" data-status={view.status} data-phase={view.phase} data-outcome={view.outcome ?? ''}>
      <span className={`phase ${view.status}`}>{phaseText(view)}</span>
      <span className="cost" data-testid="request-cost">{usd(view.costUsd)} spent</span>
      {running && (
        <button className="danger" onClick={stop} disabled={stopping} data-testid="stop">
          {stopping ? 'Stopping…' : 'Stop'}
        </button>
      )}
      {view.temporalUrl && (
        <a href={view.temporalUrl} target="_blank" rel="noreferrer" data-testid="temporal-link">
          Open in Temporal
        </a>
      )}
      {view.error && <p className="error" data-testid="request-error">{view.error}</p>}
      {error && <p className="error">{error}</p>}
    </div>
  );
}
