/**
 * The worker bundles this file: every workflow the product runs is exported from here, each with the Worker
 * Versioning behaviour it runs under (docs/rolling-upgrade.md).
 *
 * PINNED would keep a run on the build it started on until it ends, which only works when the old build keeps
 * polling until its pinned runs drain (a rainbow deployment). `docker compose up` replaces the worker container:
 * the old build is gone once its drain ends, and a run pinned to it would wait, stranded, until an operator moved
 * it by hand. So every type here auto-upgrades: its next workflow task runs on the deployment's current build,
 * and workflow changes stay replay-safe instead, with `patched()` and the recorded histories the replay test
 * checks (test/replay/). A type that is ever made PINNED needs a rollout that keeps old builds polling first.
 *
 * The server refuses a behaviour from a worker that is not versioned (VIBN_WORKER_VERSIONING=off, the tests'
 * in-process workers), so it is declared only for runs on versioned workers. The SDK asks once, when a worker
 * takes the run up, and answers from the run's history (the build that completed its first task): deterministic.
 * A run begun unversioned and replayed on a versioned worker gets the worker's default, AUTO_UPGRADE as well. The
 * converse cannot work: once runs have begun on versioned builds, an unversioned worker cannot complete them.
 */
import type { VersioningBehavior } from '@temporalio/common';
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import { briefingWorkflow } from './briefing.js';
import { monitorWorkflow } from './monitor.js';
import { redeployWorkflow } from './redeploy.js';
import { requestWorkflow } from './request.js';
import { selfTestWorkflow } from './self-test.js';
import { taskWorkflow } from './task.js';
import { workspaceSweepWorkflow } from './workspace-sweep.js';

// An unversioned worker still reports a build id, but no deployment name.
const onVersionedWorkers = (versioningBehavior: VersioningBehavior) => () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior } : {});

// A request waits up to CONFIRM_TIMEOUT_SECONDS (seven days) for its plan card and can sit in a budget pause:
// it spans many deploys, so it cannot be tied to the build it started on.
setWorkflowOptions(onVersionedWorkers('AUTO_UPGRADE'), requestWorkflow);
// A task is one agent attempt, the request's child: up to AGENT_MAX_MINUTES (30) of turns and commands. Short
// next to a request, but far longer than a worker's drain, so a pinned task would outlive its build in a rollout.
setWorkflowOptions(onVersionedWorkers('AUTO_UPGRADE'), taskWorkflow);
// One deploy activity; a pinned redeploy caught by a rollout could not record its outcome once its build is gone.
setWorkflowOptions(onVersionedWorkers('AUTO_UPGRADE'), redeployWorkflow);
// The scheduled runs (sweep, monitor, briefing) and the self-test are minutes long and started at any time, so
// some are always in flight during a rollout; they follow the current build like everything else.
setWorkflowOptions(onVersionedWorkers('AUTO_UPGRADE'), workspaceSweepWorkflow);
setWorkflowOptions(onVersionedWorkers('AUTO_UPGRADE'), monitorWorkflow);
setWorkflowOptions(onVersionedWorkers('AUTO_UPGRADE'), briefingWorkflow);
setWorkflowOptions(onVersionedWorkers('AUTO_UPGRADE'), selfTestWorkflow);

export { briefingWorkflow, monitorWorkflow, redeployWorkflow, requestWorkflow, selfTestWorkflow, taskWorkflow, workspaceSweepWorkflow };
