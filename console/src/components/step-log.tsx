import { useEffect, useRef } from 'react';
import { capOutput, toolCallText } from '../lib/describe';
import type { StreamEvent } from '../lib/types';

type Block = { type?: string; text?: unknown; name?: unknown; input?: unknown };

const STATUS_WORDS: Record<string, string> = {
  pending: 'Waiting for its turn',
  running: 'Started',
  done: 'Finished',
  failed: 'Failed',
  skipped: 'Skipped: something it depends on did not finish',
  stopped: 'Stopped',
};

/** One step in plain words; tiers, models and agent names stay out. */
function Step({ event }: { event: StreamEvent }) {
  const p = event.payload;
  switch (event.kind) {
    case 'task.status': {
      const retry = typeof p.attempt === 'number' && p.attempt > 1 && p.status === 'running' ? ' (trying again)' : '';
      const detail = typeof p.summary === 'string' ? p.summary : typeof p.error === 'string' ? p.error : '';
      return <span className={`status ${String(p.status)}`}>{STATUS_WORDS[String(p.status)] ?? String(p.status)}{retry}{detail && `: ${detail}`}</span>;
    }
    case 'agent.instructions':
      return <span className="muted">Got the job: {String(p.title ?? '')}</span>;
    case 'agent.turn': {
      const blocks = (Array.isArray(p.content) ? p.content : []) as Block[];
      return (
        <span>
          {blocks.map((b, i) =>
            b.type === 'text' && typeof b.text === 'string' ? (
              <span key={i} className="says">{b.text}</span>
            ) : b.type === 'tool_use' ? (
              <span key={i} className="tool">{toolCallText(String(b.name ?? ''), b.input)}</span>
            ) : null,
          )}
        </span>
      );
    }
    case 'agent.tool_result':
      return (
        <span className={p.isError ? 'result error' : 'result'}>
          {p.isError ? 'Problem' : 'Result'}
          {typeof p.output === 'string' && p.output && <pre>{capOutput(p.output)}</pre>}
        </span>
      );
    case 'check.result':
      return (
        <span className={p.ok ? 'check pass' : 'check fail'}>
          Check {String(p.name)} {p.ok ? 'passed' : 'failed'}
          {!p.ok && typeof p.output === 'string' && <pre>{capOutput(p.output)}</pre>}
        </span>
      );
    case 'task.merged':
      return <span>Merged into the request's work</span>;
    case 'task.conflict':
      return <span className="error">Clashed with other work in {Array.isArray(p.conflicts) ? p.conflicts.join(', ') : 'some files'}; fixing it</span>;
    default:
      return <span className="muted">{event.kind}</span>;
  }
}

/** A task's steps as they happen, each line marked with its seq. Follows the newest step unless scrolled up. */
export function StepLog({ events }: { events: StreamEvent[] }) {
  const box = useRef<HTMLOListElement>(null);
  const pinned = useRef(true);
  useEffect(() => {
    const el = box.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [events.length]);

  if (events.length === 0) return <p className="hint">No steps yet.</p>;
  return (
    <ol
      className="step-log"
      data-testid="step-log"
      ref={box}
      onScroll={(e) => {
        const el = e.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      }}
    >
      {events.map((e) => (
        <li key={e.seq} data-seq={e.seq} data-kind={e.kind}>
          <time>{new Date(e.at).toLocaleTimeString()}</time>
          <Step event={e} />
        </li>
      ))}
    </ol>
  );
}
