import { createAdvisorActivities } from './advisors.js';
import { createAgentActivities } from './agent.js';
import { createAssistActivities } from './assist.js';
import { createBriefingActivities } from './briefing.js';
import { createConversationActivities } from './conversation.js';
import { createDeployActivities } from './deploy.js';
import type { ActivityDeps } from './deps.js';
import { createEventActivities } from './events.js';
import { createMemoryActivities } from './memory.js';
import { createMonitorActivities } from './monitor.js';
import { createNotifyActivities } from './notify.js';
import { createOrchestratorActivities } from './orchestrator.js';
import { createSessionActivities } from './sessions.js';
import { createWorkspaceActivities } from './workspace.js';

export type { ActivityDeps };
import { createModelCaller } from './model-caller.js';

/** Every activity the worker registers, built from injected dependencies so tests can build them too. */
export function createActivities(deps: ActivityDeps) {
  const modelFor = createModelCaller(deps.db, deps.llm, deps.modelSettings);
  const withModel = { ...deps, modelFor };
  return {
    ...createEventActivities(deps),
    ...createConversationActivities(deps),
    ...createAssistActivities(withModel),
    ...createMemoryActivities(withModel),
    ...createAdvisorActivities(withModel),
    ...createOrchestratorActivities(withModel),
    ...createSessionActivities(deps),
    ...createAgentActivities(withModel),
    ...createWorkspaceActivities(deps),
    ...createDeployActivities(deps),
    ...createMonitorActivities(deps),
    ...createBriefingActivities(deps),
    ...createNotifyActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
