import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['./test/global-setup.ts'],
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.vibn/**'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Two cores: more parallel files only fight over the Temporal server and Postgres.
    maxWorkers: 2,
  },
});
