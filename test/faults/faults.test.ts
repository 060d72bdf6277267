/**
 * The fault suite (`npm run test:faults`): the demo request runs while a real process is SIGKILLed or a real
 * server misbehaves at a chosen point, and must end exactly as an undisturbed run would. Prints its table and
 * writes it to test-results/faults.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectMatrix } from './matrix.js';
import { outcomeOf, renderTable, writeReport } from './report.js';
import { caseId, runCase, type CaseResult } from './run-case.js';
import { FaultStack } from './stack.js';

const matrix = selectMatrix();
const results: CaseResult[] = [];
const suiteStarted = Date.now();

describe(`nothing is lost or doubled when things break (${matrix.name} matrix)`, () => {
  let stack: FaultStack;
  beforeAll(async () => {
    stack = await FaultStack.start();
  });
  afterAll(async () => {
    if (results.length) {
      const table = renderTable(results, { suiteMs: Date.now() - suiteStarted, matrix: matrix.name });
      const file = await writeReport(table);
      console.log(`\n${table}\n(written to ${file})`);
    }
    await stack?.stop();
  });

  for (const c of matrix.cases) {
    // A known bug is expected to show: the case passes while it does, and fails once the bug is fixed.
    const test = c.knownBug ? it.fails : it;
    test(`${caseId(c)}${c.knownBug ? ` (known bug: ${c.knownBug})` : ''}`, async () => {
      const result = await runCase(stack, c);
      results.push(result);
      if (result.problems.length) console.log(`${result.id}: ${outcomeOf(result)}\n${await stack.logTails(15)}`);
      expect(result.problems).toEqual([]);
    });
  }
});
