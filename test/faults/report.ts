/** The suite's table: fault × point → outcome, recovery time and total time; printed and kept in test-results/faults.md. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../../lib/config.js';
import { FAULTS } from './faults.js';
import type { CaseResult } from './run-case.js';

const seconds = (ms?: number) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();

export function outcomeOf(r: CaseResult): string {
  if (r.knownBug) return r.problems.length ? `known bug: ${r.problems[0]}` : 'passes (known bug fixed? remove its mark)';
  return r.problems.length ? `FAIL: ${r.problems.join('; ')}` : 'ok: same as undisturbed';
}

export function renderTable(results: CaseResult[], meta: { suiteMs: number; matrix: string }): string {
  const lines = [
    `Fault suite (${meta.matrix} matrix): ${results.length} cases in ${seconds(meta.suiteMs)}, ` +
      `${results.filter((r) => !r.knownBug && r.problems.length === 0).length} ok, ` +
      `${results.filter((r) => !r.knownBug && r.problems.length > 0).length} failed, ${results.filter((r) => r.knownBug).length} known bugs.`,
    '',
    '| fault | point | scenario | outcome | recovery | total | notes |',
    '| --- | --- | --- | --- | ---: | ---: | --- |',
    ...results.map((r) => `| ${r.fault} | ${r.point} | ${r.scenario} | ${cell(outcomeOf(r)).slice(0, 400)} | ${seconds(r.recoveryMs)} | ${seconds(r.totalMs)} | ${cell(r.notes.join('; '))} |`),
    '',
    'Recovery: from the fault (a kill) or the end of its window (529s, refused pushes, a missing remote) to the',
    "request's next event in Postgres, or its end. Total: from the request to its workflow's close, memory step included.",
    '"ok" means: completed/tasked, one new commit on the remote\'s main, one deploy (row, event and site log line),',
    'one follow-up, session_events seq 1..n with no step written twice, the live stream got every seq exactly once',
    '(across reconnects), no process left in the workspace or from a killed worker, no worktree left.',
    '',
    'Faults:',
    ...Object.values(FAULTS).map((f) => `- ${f.name}: ${f.what}`),
    '',
  ];
  return lines.join('\n');
}

export async function writeReport(markdown: string): Promise<string> {
  const file = path.join(projectRoot, 'test-results', 'faults.md');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, markdown);
  return file;
}
