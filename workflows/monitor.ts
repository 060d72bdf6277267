/**
 * Run by each project's `monitor-<projectId>` Schedule: checks its metrics, errors after deploys and failed
 * deploys, raises what is new in the monitoring conversation, and notifies the founder of each new finding.
 */
import { log } from '@temporalio/workflow';
import { monitor, notify } from './activity-profiles.js';

export type MonitorInput = { projectId: string };
export type MonitorResult = { detected: number; raised: string[] };

export async function monitorWorkflow({ projectId }: MonitorInput): Promise<MonitorResult> {
  const findings = await monitor.detectFindings({ projectId });
  const raised = await monitor.raiseFindings({ projectId, findings });
  for (const f of raised) {
    try {
      await notify.notify({ projectId, kind: 'anomaly', title: f.title, body: f.summary, conversationId: f.conversationId, key: `finding:${f.findingId}` });
    } catch (err) {
      // The finding is raised in the conversation either way; a lost email is not worth failing the run.
      log.warn('a finding could not be notified', { findingId: f.findingId, error: (err as Error).message });
    }
  }
  return { detected: findings.length, raised: raised.map((f) => f.findingId) };
}
