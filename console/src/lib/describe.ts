/**
 * The founder's words for what the backend records. Tiers, model names and agent names never appear here:
 * the founder sees what is happening and how it went, not who or what did it.
 */
import type { ConversationView, StreamEvent, TaskView } from './types';

/** Where the request is, in one short phrase. */
export function phaseText(view: ConversationView): string {
  if (view.status === 'stopped') return 'Stopped';
  if (view.status === 'failed') return 'Did not finish';
  if (view.status === 'completed') {
    if (view.outcome === 'declined') return 'Declined: nothing was changed';
    if (view.outcome === 'deferred') return 'Set aside: no answer came in time';
    return 'Done';
  }
  if (view.budgetPause) return 'Paused: waiting for your budget decision';
  switch (view.phase) {
    case 'assisting':
      return 'Assist is thinking';
    case 'awaiting_confirmation':
      return 'Waiting for your go-ahead';
    case 'planning':
      return 'Planning the work';
    case 'executing':
      return 'Working on it';
    case 'integrating':
      return 'Saving, publishing and deploying';
    default:
      return 'Working on it';
  }
}

export const TASK_STATUS_TEXT: Record<string, string> = {
  pending: 'Waiting',
  running: 'In progress',
  done: 'Done',
  failed: 'Failed',
  skipped: 'Skipped',
  stopped: 'Stopped',
};

export const MODULE_NAMES: Record<string, string> = { code: 'Code', growth: 'Growth', analytics: 'Analytics' };

/** Whether an event is part of this task's step log. */
export function belongsToTask(event: StreamEvent, task: TaskView): boolean {
  if (event.sessionId) return event.sessionId === task.sessionId;
  // The request records some task status changes (pending, skipped) by task id alone.
  return event.kind === 'task.status' && event.payload.taskId === task.id;
}

const TOOL_WORDS: Record<string, string> = {
  list_files: 'Looked through files',
  read_file: 'Read',
  write_file: 'Wrote',
  edit_file: 'Edited',
  search: 'Searched for',
  execute_command: 'Ran',
  finish: 'Finished',
};

/** A tool call as one plain line: what was done, to what. */
export function toolCallText(name: string, input: unknown): string {
  const args = (input ?? {}) as Record<string, unknown>;
  if (name === 'finish') return typeof args.summary === 'string' ? `Finished: ${args.summary}` : 'Finished';
  const target = args.path ?? args.command ?? args.query ?? args.pattern;
  const verb = TOOL_WORDS[name] ?? `Used ${name.replace(/_/g, ' ')}`;
  return typeof target === 'string' && target ? `${verb} ${target}` : verb;
}

/** Tool output and check output are shown up to this many characters. */
export const OUTPUT_CAP = 2_000;

export const capOutput = (text: string) => (text.length > OUTPUT_CAP ? `${text.slice(0, OUTPUT_CAP)}\n… (${text.length - OUTPUT_CAP} more characters)` : text);

/** The files a task changed, from its tool results, in first-changed order. */
export function changedFiles(events: StreamEvent[]): string[] {
  const files = new Set<string>();
  for (const e of events) {
    const list = e.kind === 'agent.tool_result' ? e.payload.changedFiles : undefined;
    if (Array.isArray(list)) for (const f of list) if (typeof f === 'string') files.add(f);
  }
  return [...files];
}

/** The last result of each check a task ran. */
export function latestChecks(events: StreamEvent[]): Array<{ name: string; ok: boolean; seq: number }> {
  const byName = new Map<string, { name: string; ok: boolean; seq: number }>();
  for (const e of events) {
    if (e.kind !== 'check.result' || typeof e.payload.name !== 'string') continue;
    byName.set(e.payload.name, { name: e.payload.name, ok: e.payload.ok === true, seq: e.seq });
  }
  return [...byName.values()];
}

export const usd = (amount: number) => `$${amount.toFixed(amount > 0 && amount < 0.1 ? 3 : 2)}`;

export const shortCommit = (commit: unknown) => (typeof commit === 'string' ? commit.slice(0, 7) : '');
