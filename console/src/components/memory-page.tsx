import { useEffect, useState } from 'react';
import { useConsole } from '../lib/console-context';
import type { Memory } from '../lib/types';
import { MemoryRow } from './memory-row';

/** What Assist remembers about the project: decisions, preferences, open questions. Editable and deletable. */
export function MemoryPage({ projectId }: { projectId: string }) {
  const { api } = useConsole();
  const [memories, setMemories] = useState<Memory[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api.memories(projectId).then(
      (m) => live && setMemories(m),
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
    };
  }, [api, projectId]);

  return (
    <main className="page memory-page" data-testid="memory-page">
      <h2>What Assist remembers</h2>
      <p className="hint">Assist keeps these notes between requests. Correct anything that is wrong, or delete it.</p>
      {error && <p className="error">{error}</p>}
      {memories?.length === 0 && <p className="empty">Nothing yet: Assist learns as you work together.</p>}
      <ul className="memories">
        {memories?.map((m) => (
          <MemoryRow
            key={m.id}
            projectId={projectId}
            memory={m}
            onSaved={(saved) => setMemories((all) => all?.map((x) => (x.id === saved.id ? saved : x)) ?? null)}
            onDeleted={(id) => setMemories((all) => all?.filter((x) => x.id !== id) ?? null)}
          />
        ))}
      </ul>
    </main>
  );
}
