/**
 * Recorded workflow histories on disk: one JSON file per workflow run, `{ workflowId, workflowType, history }`,
 * the history in the JSON form Temporal's own tools write (see history-json.ts), under test/histories/<set>/.
 * The recorder writes them; the replay test reads every set back.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TaskInput } from '../../workflows/task.js';
import { eventually } from '../helpers/poll.js';
import { historyFromJson, historyToJson, type History } from './history-json.js';

/** Every set of recorded histories lives under this folder, one subfolder per set. */
export const HISTORIES_DIR = decodeURIComponent(new URL('../histories/', import.meta.url).pathname);

export type HistoryFile = { workflowId: string; workflowType: string; history: unknown };

/** A recorded history, read back: where it came from and the history ready to replay. */
export type LoadedHistory = { file: string; workflowId: string; workflowType: string; history: History };

/** Waits until a run is closed, so its history is complete and a re-recording sees the same events. */
async function closedHistory(client: Client, workflowId: string): Promise<History> {
  const handle = client.workflow.getHandle(workflowId);
  await eventually(`${workflowId} to close`, async () => ((await handle.describe()).status.name === 'RUNNING' ? undefined : true), 120_000);
  return handle.fetchHistory();
}

const workflowTypeOf = (history: History) => history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? 'unknown';

async function writeHistory(file: string, workflowId: string, history: History) {
  const content: HistoryFile = { workflowId, workflowType: workflowTypeOf(history), history: historyToJson(history) };
  await fs.writeFile(file, `${JSON.stringify(content)}\n`);
}

/**
 * Saves a closed request run as `request-<name>.json` and each child task run it started as
 * `task-<name>-<taskId>-<attempt>[-r<resume>].json`; names come from the history, so a re-recording of the
 * same path writes the same files. Returns the names written.
 */
export async function saveRequestHistories(client: Client, dir: string, name: string, workflowId: string): Promise<string[]> {
  const parent = await closedHistory(client, workflowId);
  const written = [`request-${name}.json`];
  await writeHistory(path.join(dir, written[0]!), workflowId, parent);
  for (const event of parent.events ?? []) {
    const started = event.startChildWorkflowExecutionInitiatedEventAttributes;
    if (!started?.workflowId) continue;
    const input = defaultPayloadConverter.fromPayload<TaskInput>(started.input!.payloads![0]!);
    const resume = /-r(\d+)$/.exec(started.workflowId)?.[1];
    const file = `task-${name}-${input.taskId}-${input.attempt}${resume ? `-r${resume}` : ''}.json`;
    await writeHistory(path.join(dir, file), started.workflowId, await closedHistory(client, started.workflowId));
    written.push(file);
  }
  return written;
}

/** Every recorded history under `root` (all sets), sorted by path so failures read in a stable order. */
export async function loadHistories(root = HISTORIES_DIR): Promise<LoadedHistory[]> {
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
  return Promise.all(
    files.map(async (file) => {
      const content = JSON.parse(await fs.readFile(path.join(root, file), 'utf8')) as HistoryFile;
      return { file, workflowId: content.workflowId, workflowType: content.workflowType, history: historyFromJson(content.history) };
    }),
  );
}
