import { useState } from 'react';

/**
 * A button's action against the API: `busy` while it runs (the buttons disable), its error's message when it
 * fails. `stayBusy` keeps the buttons disabled after a success that leaves the page anyway.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (what: () => Promise<unknown>, { stayBusy = false } = {}) => {
    setBusy(true);
    setError(null);
    try {
      await what();
      if (!stayBusy) setBusy(false);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };
  return { busy, error, run };
}
