/**
 * A webpack loader for the replay test alone: it adds a one-millisecond timer at the very start of
 * requestWorkflow, the kind of change that breaks every history already recorded unless it is behind
 * patched(). The replay test bundles the workflows through it to prove a replay catches such a change.
 * CommonJS, because webpack loads loaders with require() outside the test's TypeScript toolchain.
 */
const START = /export async function requestWorkflow\([^)]*\)[^{]*\{/;

module.exports = function insertTimer(source) {
  if (!START.test(source)) throw new Error('insert-timer-loader: requestWorkflow was not found in workflows/request.ts');
  return `import { sleep as sleepAddedForTheReplayTest } from '@temporalio/workflow';\n${source.replace(START, (head) => `${head}\n  await sleepAddedForTheReplayTest(1);`)}`;
};
