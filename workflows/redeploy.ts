/**
 * Deploys an earlier deploy's commit again: the seed's rollback path, one API call away. The workflow id is
 * `redeploy-<deployId>` and the deploy activity keys its row by that same id, so neither a repeated start nor
 * a retried activity deploys twice. Deterministic only: the deploy itself is the activity.
 */
import type { RedeployInput } from '../core/deploy-settings.js';
import type { DeployOutcome } from '../activities/deploy.js';
import { deploy } from './activity-profiles.js';

export async function redeployWorkflow({ projectId, deployId, commit }: RedeployInput): Promise<DeployOutcome> {
  // No conversation: a redeploy is the founder's (or an operator's) direct action, recorded in its deploys row.
  return deploy.deployWork({ projectId, commit, deployId, conversationId: null });
}
