import { git } from './activity-profiles.js';

export type WorkspaceSweepInput = { idleMs: number };

/** Run by the `workspace-sweep` Schedule: removes project workspaces left idle (the seed's cold tier). */
export async function workspaceSweepWorkflow({ idleMs }: WorkspaceSweepInput): Promise<string[]> {
  return git.sweepWorkspaces({ idleMs });
}
