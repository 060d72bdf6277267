import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ActivityDeps } from '../../activities/index.js';
import type { Db } from '../../db/client.js';
import type { Scenario } from '../../llm/scenario.js';
import { DEFAULT_PRICES } from '../../llm/pricing.js';
import { ScriptedProvider } from '../../llm/scripted-provider.js';
import { sandboxFor } from '../../runtime/workspace/sandbox-context.js';
import { productLogger } from './logs.js';
import { removeStateFolder } from '../../runtime/workspace/project-disk.js';

/** Activity dependencies for a test: its database, a scripted provider on its scenarios, a fresh state folder. */
export async function testDeps(
  db: Db,
  scenarios: Scenario[] = [],
  overrides: Partial<Pick<ActivityDeps, 'llm' | 'modelSettings' | 'toolContext'>> = {},
): Promise<ActivityDeps & { cleanup(): Promise<void> }> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-state-'));
  return {
    db,
    llm: new ScriptedProvider(scenarios),
    home,
    log: productLogger('worker').logger,
    modelSettings: { prices: DEFAULT_PRICES, budgets: { requestUsd: 5, projectMonthlyUsd: 100 } },
    // Agent commands in tests run in the same bubblewrap sandbox as in production.
    toolContext: (workdir, project) => ({ sandbox: sandboxFor(workdir, false, project) }),
    ...overrides,
    cleanup: () => removeStateFolder(home),
  };
}
