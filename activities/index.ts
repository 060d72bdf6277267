import { createEventActivities, type EventActivityDeps } from './events.js';

export type ActivityDeps = EventActivityDeps;

/** Every activity the worker registers, built from injected dependencies so tests can build them too. */
export function createActivities(deps: ActivityDeps) {
  return { ...createEventActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
