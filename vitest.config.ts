import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['./test/global-setup.ts'],
    include: ['**/*.test.ts'],
    // The fault suite runs on its own (npm run test:faults): it starts and kills its own servers.
    exclude: ['node_modules/**', '.vibn/**', 'test/faults/**'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Two cores: more parallel files only fight over the Temporal server and Postgres.
    maxWorkers: 2,
  },
});
