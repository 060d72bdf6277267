import { createAdvisorActivities } from './advisors.js';
import { createAgentActivities } from './agent.js';
import { createAssistActivities } from './assist.js';
import { createConversationActivities } from './conversation.js';
import { createDeployActivities } from './deploy.js';
import type { ActivityDeps } from './deps.js';
import { createEventActivities } from './events.js';
import { createOrchestratorActivities } from './orchestrator.js';
import { createSessionActivities } from './sessions.js';
import { createWorkspaceActivities } from './workspace.js';

export type { ActivityDeps };

/** Every activity the worker registers, built from injected dependencies so tests can build them too. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createEventActivities(deps),
    ...createConversationActivities(deps),
    ...createAssistActivities(deps),
    ...createAdvisorActivities(deps),
    ...createOrchestratorActivities(deps),
    ...createSessionActivities(deps),
    ...createAgentActivities(deps),
    ...createWorkspaceActivities(deps),
    ...createDeployActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
