import { defineConfig } from 'vitest/config';

/**
 * The fault suite (`npm run test:faults`): only test/faults, one file at a time, with long timeouts. It starts
 * its own Postgres, Temporal dev server, API and workers; its global setup only makes sure bubblewrap, which
 * those workers sandbox agent commands with, is installed.
 */
export default defineConfig({
  test: {
    globalSetup: ['./test/faults/global-setup.ts'],
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    maxWorkers: 1,
    // Cases of one lane-local group run side by side, one per lane (FAULTS_LANES, default 2).
    maxConcurrency: Number(process.env.FAULTS_LANES ?? 2),
    fileParallelism: false,
  },
});
