/**
 * Every recorded history (test/histories/<set>/*.json, recorded by `npm run histories:record`) replays against
 * the workflow code of this checkout: a change that would break a run in flight in production fails here,
 * naming the file and the error. A second test proves the check bites: the same histories replayed against
 * the workflows bundled with one extra timer at the start of requestWorkflow fail with a determinism error.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { bundlerOptions, WORKFLOWS_PATH } from '../../workers/worker.js';
import { loadHistories, type LoadedHistory } from './history-files.js';

const INSERT_TIMER_LOADER = fileURLToPath(new URL('./insert-timer-loader.cjs', import.meta.url));

/**
 * Replays the histories with one replay worker; each file's error, if any, by file name. The worker replays
 * one history at a time and answers in the order given, so answers pair with files by position (a copied file
 * shares its workflow id with the original).
 */
async function replay(workflowBundle: ReplayWorkerOptions['workflowBundle'], histories: LoadedHistory[]) {
  const errors = new Map<string, Error | undefined>();
  for await (const result of Worker.runReplayHistories({ workflowBundle, replayName: 'replay-test' }, histories)) {
    const h = histories[errors.size]!;
    if (result.workflowId !== h.workflowId) throw new Error(`replay answered for ${result.workflowId} where ${h.file} was expected`);
    errors.set(h.file, result.error);
  }
  return errors;
}

const setOf = (h: LoadedHistory) => h.file.split(path.sep)[0]!;

describe('recorded workflow histories', () => {
  let histories: LoadedHistory[];
  beforeAll(async () => {
    // The proof below fails replays on purpose: the SDK's warning for each would only be noise here.
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
    histories = await loadHistories();
  });

  it('each set holds request and task histories, with one workflow id per file', () => {
    const sets = [...new Set(histories.map(setOf))];
    expect(sets.length).toBeGreaterThan(0);
    const missing = sets.flatMap((set) =>
      ['requestWorkflow', 'taskWorkflow'].filter((type) => !histories.some((h) => setOf(h) === set && h.workflowType === type)).map((type) => `${set} has no ${type} history`),
    );
    expect(missing).toEqual([]);
    const seen = new Map<string, string>();
    const repeated = histories.flatMap((h) => (seen.has(h.workflowId) ? [`${h.file} repeats ${seen.get(h.workflowId)}`] : (seen.set(h.workflowId, h.file), [])));
    expect(repeated).toEqual([]);
  });

  it('all replay against the current workflow code', async () => {
    const errors = await replay({ codePath: inject('workflowBundlePath') }, histories);
    const failures = [...errors].flatMap(([file, error]) => (error ? [`${file}: ${error.name}: ${error.message}`] : []));
    expect(failures).toEqual([]);
    expect(errors.size).toBe(histories.length);
  });

  it('a change that is not behind patched() fails the replay of every request history, and only those', { timeout: 120_000 }, async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: new DefaultLogger('WARN'),
      webpackConfigHook: (config) => {
        const base = bundlerOptions!.webpackConfigHook!(config);
        base.module?.rules?.push({ test: /workflows[\\/]request\.ts$/, enforce: 'pre', use: [{ loader: INSERT_TIMER_LOADER }] });
        return base;
      },
    });
    const errors = await replay({ code }, histories);
    const unexpected = histories.flatMap((h) => {
      const error = errors.get(h.file);
      const expected = h.workflowType === 'requestWorkflow' ? 'DeterminismViolationError' : 'no error';
      const got = error?.name ?? 'no error';
      return got === expected ? [] : [`${h.file}: expected ${expected}, got ${got}${error ? `: ${error.message}` : ''}`];
    });
    expect(unexpected).toEqual([]);
    expect(errors.size).toBe(histories.length);
  });
});
