import type { WorkflowDefinitionOptions } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import * as workflows from './index.js';

describe('the bundled workflows', () => {
  it('each declare their Worker Versioning behaviour, and none is pinned to a build a rollout replaces', () => {
    const behaviours = Object.fromEntries(
      Object.entries(workflows).map(([name, fn]) => [name, (fn as { workflowDefinitionOptions?: WorkflowDefinitionOptions }).workflowDefinitionOptions?.versioningBehavior]),
    );
    expect(Object.keys(behaviours).length).toBeGreaterThanOrEqual(7);
    for (const [name, behaviour] of Object.entries(behaviours)) expect({ name, behaviour }).toEqual({ name, behaviour: 'AUTO_UPGRADE' });
  });
});
