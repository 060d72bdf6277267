/**
 * The fault suite (`npm run test:faults`): the demo request runs while a real process is SIGKILLed or a real
 * server misbehaves at a chosen point, and must end exactly as an undisturbed run would. Cases whose fault
 * stays inside one lane (its API and workers) run two at a time; Temporal and Postgres faults run alone.
 * Prints its table and writes it to test-results/faults.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULTS, type Fault } from './faults.js';
import { LANES, selectMatrix } from './matrix.js';
import { outcomeOf, renderTable, writeReport } from './report.js';
import { caseId, runCase, type Case, type CaseResult } from './run-case.js';
import { FaultStack, type Lane } from './stack.js';

const matrix = selectMatrix();
const results: CaseResult[] = [];
const suiteStarted = Date.now();
const isGlobal = (c: Case) => (FAULTS[c.fault] as Fault).global === true;

describe(`nothing is lost or doubled when things break (${matrix.name} matrix)`, () => {
  let stack: FaultStack;
  const free: Lane[] = [];
  const waiting: Array<(lane: Lane) => void> = [];
  const acquire = () => new Promise<Lane>((resolve) => (free.length ? resolve(free.shift()!) : waiting.push(resolve)));
  const release = (lane: Lane) => (waiting.length ? waiting.shift()!(lane) : free.push(lane));

  beforeAll(async () => {
    stack = await FaultStack.start(LANES);
    free.push(...stack.lanes);
  });
  afterAll(async () => {
    if (results.length) {
      const order = new Map(matrix.cases.map((c, i) => [caseId(c), i]));
      results.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
      const table = renderTable(results, { suiteMs: Date.now() - suiteStarted, matrix: matrix.name });
      const file = await writeReport(table);
      console.log(`\n${table}\n(written to ${file})`);
    }
    await stack?.stop();
  });

  const run = async (c: Case) => {
    const lane = await acquire();
    try {
      const result = await runCase(stack, lane, c);
      results.push(result);
      if (result.problems.length) console.log(`${result.id}: ${outcomeOf(result)}\n${await stack.logTails(15)}`);
      expect(result.problems).toEqual([]);
    } finally {
      release(lane);
    }
  };
  // A known bug is expected to show: its case passes while it does, and fails once the bug is fixed.
  const title = (c: Case) => `${caseId(c)}${c.knownBug ? ` (known bug: ${c.knownBug})` : ''}`;

  const laneCases = matrix.cases.filter((c) => !isGlobal(c));
  const stackCases = matrix.cases.filter(isGlobal);
  if (laneCases.length) {
    describe.concurrent('faults inside one lane (worker, API, git remote, deploy target, LLM vendor)', () => {
      for (const c of laneCases) (c.knownBug ? it.fails : it)(title(c), () => run(c));
    });
  }
  if (stackCases.length) {
    describe('faults of the whole stack (Temporal, Postgres), one at a time', () => {
      for (const c of stackCases) (c.knownBug ? it.fails : it)(title(c), () => run(c));
    });
  }
});
