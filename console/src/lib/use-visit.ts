import { useEffect, useRef } from 'react';
import type { Api } from './api';

/**
 * Tells the API the founder opened a project (POST /visits), once per project per page load: the next morning
 * briefing covers what happens from now. A lost ping only makes that briefing reach further back, so failures
 * are not shown.
 */
export function useVisitPing(api: Api, projectId: string | null): void {
  const pinged = useRef(new Set<string>());
  useEffect(() => {
    if (!projectId || pinged.current.has(projectId)) return;
    pinged.current.add(projectId);
    api.recordVisit(projectId).catch(() => pinged.current.delete(projectId));
  }, [api, projectId]);
}
