import { changedFiles, latestChecks, TASK_STATUS_TEXT, usd } from '../lib/describe';
import type { StreamEvent, TaskView } from '../lib/types';
import { ScriptedLabel } from './scripted-label';
import { StepLog } from './step-log';

type Props = { task: TaskView; events: StreamEvent[]; onBrowse: (sessionId: string) => void };

/** One task: how it stands, the files it changed, its checks, and its step log. */
export function TaskCard({ task, events, onBrowse }: Props) {
  const files = changedFiles(events);
  const checks = latestChecks(events);
  const scripted = events.some((e) => e.kind === 'agent.turn' && e.scripted === true);

  return (
    <article className={`task card ${task.status}`} data-testid="task" data-task-id={task.id} data-status={task.status}>
      <header>
        <strong>{task.title || task.id}</strong>
        <span className={`badge ${task.status}`} data-testid="task-status">{TASK_STATUS_TEXT[task.status] ?? task.status}</span>
        {scripted && <ScriptedLabel />}
        {typeof task.costUsd === 'number' && <span className="cost">{usd(task.costUsd)}</span>}
        {task.status === 'running' && (
          <button className="link" onClick={() => onBrowse(task.sessionId)} data-testid="browse-task">
            Browse its files
          </button>
        )}
      </header>
      {files.length > 0 && (
        <div className="changed-files" data-testid="changed-files">
          <span className="label">Changed</span>
          {files.map((f) => (
            <code key={f}>{f}</code>
          ))}
        </div>
      )}
      {checks.length > 0 && (
        <div className="checks" data-testid="checks">
          <span className="label">Checks</span>
          {checks.map((c) => (
            <span key={c.name} className={`check ${c.ok ? 'pass' : 'fail'}`} data-ok={c.ok}>
              {c.name} {c.ok ? 'passed' : 'failed'}
            </span>
          ))}
        </div>
      )}
      <StepLog events={events} />
    </article>
  );
}
