import { useState } from 'react';
import { useConsole } from '../lib/console-context';
import { useAction } from '../lib/use-action';
import { MEMORY_CATEGORIES, type Memory, type MemoryCategory } from '../lib/types';

const CATEGORY_NAMES: Record<MemoryCategory, string> = {
  decision: 'Decision',
  preference: 'Preference',
  open: 'Open question',
  context: 'Background',
  experiment: 'Experiment',
};

type Props = { projectId: string; memory: Memory; onSaved: (m: Memory) => void; onDeleted: (id: string) => void };

/** One memory: its category and value, saved or deleted on request. */
export function MemoryRow({ projectId, memory, onSaved, onDeleted }: Props) {
  const { api } = useConsole();
  const [value, setValue] = useState(memory.value);
  const [category, setCategory] = useState<MemoryCategory>(memory.category);
  const { busy, error, run } = useAction();
  const changed = value !== memory.value || category !== memory.category;

  const save = () => run(async () => onSaved(await api.updateMemory(projectId, memory.id, { value, category })));
  const remove = () =>
    run(async () => {
      await api.deleteMemory(projectId, memory.id);
      onDeleted(memory.id);
    });

  return (
    <li className="memory card" data-testid="memory-row" data-id={memory.id}>
      <div className="memory-head">
        <select value={category} onChange={(e) => setCategory(e.target.value as MemoryCategory)} aria-label="Category" data-testid="memory-category">
          {MEMORY_CATEGORIES.map((c) => (
            <option key={c} value={c}>
              {CATEGORY_NAMES[c]}
            </option>
          ))}
        </select>
        <strong>{memory.key}</strong>
      </div>
      <textarea value={value} onChange={(e) => setValue(e.target.value)} rows={2} aria-label="What Assist remembers" data-testid="memory-value" />
      <div className="actions">
        <button className="primary" disabled={busy || !changed || !value.trim()} onClick={save} data-testid="memory-save">Save</button>
        <button className="danger" disabled={busy} onClick={remove} data-testid="memory-delete">Delete</button>
      </div>
      {error && <p className="error">{error}</p>}
    </li>
  );
}
