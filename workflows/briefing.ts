/**
 * Run by each project's `briefing-<projectId>` Schedule at the founder's briefing time: writes the morning
 * briefing in the monitoring conversation (or nothing, when nothing happened) and notifies the founder.
 */
import { log, workflowInfo } from '@temporalio/workflow';
import { monitor, notify } from './activity-profiles.js';

export type BriefingInput = { projectId: string };
export type BriefingWorkflowResult = { written: boolean; reason?: string };

export async function briefingWorkflow({ projectId }: BriefingInput): Promise<BriefingWorkflowResult> {
  // Each Schedule action has its own workflow id: one briefing per morning, however often an activity is retried.
  const key = workflowInfo().workflowId;
  const briefing = await monitor.composeBriefing({ projectId, key });
  if (!briefing.written) return { written: false, reason: briefing.reason };
  try {
    await notify.notify({ projectId, kind: 'briefing', title: briefing.title, body: briefing.text, conversationId: briefing.conversationId, key: `briefing:${key}` });
  } catch (err) {
    log.warn('the briefing could not be notified', { error: (err as Error).message });
  }
  return { written: true };
}
