/**
 * A new build makes itself its Worker Deployment's current version once the server has seen it poll, so a
 * plain `docker compose up` rolls workflows over to it (docs/rolling-upgrade.md). Until then the server keeps
 * sending every workflow task to the build that is current, so the old build keeps serving while the new one
 * starts, and no request ever runs a step on a build that is not yet ready.
 *
 * Only a build that has never been current promotes itself. One that was current before (an old container
 * restarting after a crash, an image rolled back) must not take the deployment back on its own: requests that
 * already ran on the newer build would then replay on older code. Moving back is the operator's
 * `temporal worker deployment set-current-version`, as is any rollout done by hand (VIBN_WORKER_PROMOTE=0, or a
 * version ramping).
 */
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { Logger } from '../lib/logger.js';

type DeploymentDescription = temporal.api.workflowservice.v1.IDescribeWorkerDeploymentResponse;

type WorkflowServiceSubset = {
  describeWorkerDeployment(request: temporal.api.workflowservice.v1.IDescribeWorkerDeploymentRequest): Promise<DeploymentDescription>;
  setWorkerDeploymentCurrentVersion(request: temporal.api.workflowservice.v1.ISetWorkerDeploymentCurrentVersionRequest): Promise<unknown>;
};

export type PromotionStep =
  | { kind: 'wait'; why: string }
  | { kind: 'promote' }
  | { kind: 'done'; outcome: 'already current' }
  | { kind: 'done'; outcome: 'left to the operator'; why: string };

/** What to do next, given the deployment as the server describes it now (undefined: it does not exist yet). */
export function nextPromotionStep(description: DeploymentDescription | undefined, buildId: string): PromotionStep {
  const info = description?.workerDeploymentInfo;
  const ours = info?.versionSummaries?.find((v) => v.deploymentVersion?.buildId === buildId);
  if (!info || !ours) return { kind: 'wait', why: 'the server has not registered this build yet' };
  const routing = info.routingConfig;
  if (routing?.currentDeploymentVersion?.buildId === buildId) return { kind: 'done', outcome: 'already current' };
  if (routing?.rampingDeploymentVersion?.buildId) {
    return { kind: 'done', outcome: 'left to the operator', why: `build ${routing.rampingDeploymentVersion.buildId} is ramping: a rollout by hand is under way` };
  }
  if (ours.firstActivationTime) {
    return { kind: 'done', outcome: 'left to the operator', why: 'this build was current before and has been replaced since: an older build does not take the deployment back by itself' };
  }
  return { kind: 'promote' };
}

export type PromotionOutcome = 'promoted' | 'already current' | 'left to the operator' | 'stopped' | 'gave up';

/**
 * Re-reads the deployment until this build can be promoted (or need not be), then makes it current. The
 * conflict token makes the change conditional on nothing having changed since the read; a refused change is
 * read again. Ends when `signal` aborts (the worker is stopping) or after `timeoutMs`.
 */
export async function promoteWhenPolling(
  service: WorkflowServiceSubset,
  target: { namespace: string; version: WorkerDeploymentVersion; identity: string },
  log: Logger,
  opts: { signal: AbortSignal; retryMs?: number; timeoutMs?: number },
): Promise<PromotionOutcome> {
  const { namespace, version } = target;
  const deadline = Date.now() + (opts.timeoutMs ?? 10 * 60_000);
  let last = 'nothing read yet';
  while (!opts.signal.aborted) {
    if (Date.now() > deadline) {
      log.error(
        { ...version, last },
        `could not make build ${version.buildId} current; do it by hand: temporal worker deployment set-current-version --deployment-name ${version.deploymentName} --build-id ${version.buildId}`,
      );
      return 'gave up';
    }
    try {
      const description = await service.describeWorkerDeployment({ namespace, deploymentName: version.deploymentName }).catch((err: Error) => {
        // The deployment itself appears with the first poll of its first build.
        if (/not found/i.test(err.message)) return undefined;
        throw err;
      });
      const step = nextPromotionStep(description, version.buildId);
      if (step.kind === 'done') {
        if (step.outcome === 'left to the operator') log.warn({ ...version }, `build ${version.buildId} is not made current: ${step.why}`);
        else log.info({ ...version }, `build ${version.buildId} is already the current version of deployment ${version.deploymentName}`);
        return step.outcome;
      }
      if (step.kind === 'promote') {
        await service.setWorkerDeploymentCurrentVersion({
          namespace,
          deploymentName: version.deploymentName,
          buildId: version.buildId,
          conflictToken: description?.conflictToken ?? undefined,
          identity: target.identity,
        });
        log.info({ ...version }, `build ${version.buildId} is now the current version of deployment ${version.deploymentName}`);
        return 'promoted';
      }
      last = step.why;
    } catch (err) {
      // Refused while the server catches up (no pollers seen yet, a concurrent change): read again.
      last = (err as Error).message;
      log.debug({ ...version, reason: last }, 'promotion not accepted yet');
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, opts.retryMs ?? 1_000);
      opts.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
  return 'stopped';
}
