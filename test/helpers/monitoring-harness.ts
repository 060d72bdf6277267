/**
 * The request harness plus what monitoring needs: a worker whose notifications email a local SMTP sink, a way to
 * run the monitor and briefing workflows on demand, and cleanup of the Schedules the projects got.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { advisorConversations } from '../../db/schema.js';
import { findMonitoringConversation } from '../../db/queries/monitoring.js';
import type { Scenario } from '../../llm/scenario.js';
import { deleteProjectSchedules } from '../../temporal-config/project-schedules.js';
import { startSmtpSink } from '../fakes/smtp-sink.js';
import { startRequestHarness } from './request-harness.js';
import { startTestWorker } from './temporal.js';

export const MAIL_FROM = 'Assist <assist@vibn.test>';

export async function startMonitoringHarness(scenarios: Scenario[] = []) {
  const sink = await startSmtpSink();
  const h = await startRequestHarness(scenarios, {}, { inProcessWorker: false });
  const worker = await startTestWorker(h.temporal.taskQueue, { ...h.deps, mail: { smtpUrl: sink.url, from: MAIL_FROM } });
  const projects: string[] = [];

  /** A project through the API (which creates its Schedules), remembered so its Schedules are removed at the end. */
  const createProject = async (name: string, settings: Record<string, unknown> = {}) => {
    const res = await h.call('POST', '/api/projects', { name, repoUrl: h.remote.remoteUrl, ...settings });
    if (res.status !== 201) throw new Error(`project not created: ${JSON.stringify(res.body)}`);
    projects.push(res.body.id);
    return res.body.id as string;
  };

  /** Runs a workflow of the product to its end on the harness's worker, as a Schedule would start it. */
  const run = <R>(workflowType: 'monitorWorkflow' | 'briefingWorkflow', projectId: string) =>
    h.temporal.client.workflow.execute(workflowType, {
      taskQueue: h.temporal.taskQueue,
      workflowId: `${workflowType}-test-${randomUUID()}`,
      args: [{ projectId }],
    }) as Promise<R>;

  /** The monitoring conversation's stored messages. */
  const monitoringMessages = async (projectId: string) => {
    const id = await findMonitoringConversation(h.database.db, projectId);
    if (!id) return [];
    const [row] = await h.database.db.select({ messages: advisorConversations.messages }).from(advisorConversations).where(eq(advisorConversations.id, id));
    return (row?.messages ?? []) as Array<{ id: string; role: string; content: string; reply?: Record<string, unknown>; scripted?: boolean }>;
  };

  return {
    ...h,
    sink,
    worker,
    createProject,
    run,
    monitoringMessages,
    async stop() {
      for (const id of projects) await deleteProjectSchedules(h.temporal.client, id).catch(() => undefined);
      await worker.stop();
      await h.stop();
      await sink.close();
    },
  };
}
