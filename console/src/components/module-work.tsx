import { belongsToTask, MODULE_NAMES } from '../lib/describe';
import type { ConversationView, StreamEvent } from '../lib/types';
import { TaskCard } from './task-card';

type Props = { module: string; view: ConversationView | null; events: StreamEvent[]; onBrowse: (sessionId: string) => void };

/** One module's share of the request: its tasks, each with its live step log. */
export function ModuleWork({ module, view, events, onBrowse }: Props) {
  const name = MODULE_NAMES[module] ?? module;
  if (!view) return <p className="empty">Open a conversation to follow its {name} work here.</p>;
  const tasks = view.tasks.filter((t) => t.module === module);
  if (tasks.length === 0) {
    const later = view.status === 'running' && (view.phase === 'assisting' || view.phase === 'awaiting_confirmation' || view.phase === 'planning');
    return <p className="empty">{later ? `${name} work shows here once the plan is under way.` : `No ${name} work in this request.`}</p>;
  }
  return (
    <div className="module-work" data-testid={`module-${module}`}>
      {tasks.map((task) => (
        <TaskCard key={task.sessionId} task={task} events={events.filter((e) => belongsToTask(e, task))} onBrowse={onBrowse} />
      ))}
    </div>
  );
}
