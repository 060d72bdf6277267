/**
 * The worker process bundles its workflows once at start and, unless VIBN_BUILD_ID names the build, calls the
 * build after that bundle's code.
 *
 * Why the bundle and not an image tag or a commit: the build id is what Temporal routes workflow tasks by, so it
 * should change exactly when workflow code does. A release that only touches activities keeps the id, joins the
 * running version and needs no promotion; one that touches any workflow (or the SDK's workflow runtime, which is
 * in the bundle too) gets a new id, a new version the server keeps apart. Replicas built from the same sources
 * agree on it without being told, and the bundle is deterministic: no paths or times in it.
 */
import { createHash } from 'node:crypto';
import { bundleWorkflowCode, type Logger } from '@temporalio/worker';
import { bundlerOptions, WORKFLOWS_PATH } from './worker.js';

export type WorkflowBuild = { code: string; buildId: string };

/** `wf-` and the first 16 hex digits of the bundle's SHA-256: unique enough for a deployment's versions, short enough to type. */
export function buildIdOf(code: string): string {
  return `wf-${createHash('sha256').update(code).digest('hex').slice(0, 16)}`;
}

export async function bundleWorkflows(logger?: Logger): Promise<WorkflowBuild> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, ...bundlerOptions, logger });
  return { code, buildId: buildIdOf(code) };
}
