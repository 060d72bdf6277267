import { describe, expect, it } from 'vitest';
import * as workflows from './index.js';

// What each declares is checked on real workers: test/worker-versioning.test.ts (versioned: every request and task
// auto-upgrades) and every test with an in-process, unversioned worker (no behaviour sent, or the server refuses).
describe('the bundled workflows', () => {
  it('each declare their Worker Versioning behaviour', () => {
    const undeclared = Object.entries(workflows).filter(([, fn]) => typeof (fn as { workflowDefinitionOptions?: unknown }).workflowDefinitionOptions !== 'function');
    expect(Object.keys(workflows).length).toBeGreaterThanOrEqual(7);
    expect(undeclared.map(([name]) => name)).toEqual([]);
  });
});
