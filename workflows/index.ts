// The worker bundles this file: every workflow the product runs is exported from here.
export { selfTestWorkflow } from './self-test.js';
export { requestWorkflow } from './request.js';
export { taskWorkflow } from './task.js';
export { redeployWorkflow } from './redeploy.js';
export { workspaceSweepWorkflow } from './workspace-sweep.js';
export { monitorWorkflow } from './monitor.js';
export { briefingWorkflow } from './briefing.js';
