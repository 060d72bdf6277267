/** agent_sessions rows: one per task of a request, opened when the graph is set and closed by each attempt. */
import { eq, sql } from 'drizzle-orm';
import type { Tier } from '../core/plan.js';
import type { TaskGraph } from '../core/task-graph.js';
import { getConversation, updateConversation } from '../db/queries/conversations.js';
import { appendSessionEvent } from '../db/queries/session-events.js';
import { agentSessions, projects } from '../db/schema.js';
import type { DependencyOutput } from '../workflows/task.js';
import type { ActivityDeps } from './deps.js';

export function createSessionActivities({ db }: Pick<ActivityDeps, 'db'>) {
  return {
    /** One session per task of the stored graph (idempotent by conversation and task id); returns task id → session id. */
    async createTaskSessions({ projectId, conversationId }: { projectId: string; conversationId: string }): Promise<Record<string, string>> {
      const conversation = await getConversation(db, conversationId);
      const graph = (conversation?.result as { graph?: TaskGraph } | null)?.graph;
      if (!graph) throw new Error(`Conversation ${conversationId} has no task graph`);
      const [project] = await db.select().from(projects).where(eq(projects.id, projectId));
      await db
        .insert(agentSessions)
        .values(
          graph.tasks.map((t) => ({
            projectId,
            conversationId,
            taskKey: t.id,
            module: t.module,
            tier: t.tier,
            appName: project?.name ?? projectId,
            appPath: '.',
            task: t.instructions,
            plan: { title: t.title, dependsOn: t.dependsOn, tier: t.tier },
          })),
        )
        .onConflictDoNothing({ target: [agentSessions.conversationId, agentSessions.taskKey] });
      const rows = await db.select({ id: agentSessions.id, taskKey: agentSessions.taskKey }).from(agentSessions).where(eq(agentSessions.conversationId, conversationId));
      await updateConversation(db, conversationId, { sessionIds: rows.map((r) => r.id) });
      return Object.fromEntries(rows.map((r) => [r.taskKey!, r.id]));
    },

    /** Opens an attempt: the session runs, and its first transcript entry (the instructions) is written. */
    async startAgentAttempt(input: {
      sessionId: string;
      conversationId: string;
      attempt: number;
      tier: Tier;
      dependencies: DependencyOutput[];
      /** Files left in conflict by merging this task's work: this attempt's job is to resolve them. */
      conflicts?: string[];
    }) {
      const { sessionId, conversationId, attempt, tier, dependencies, conflicts = [] } = input;
      const [session] = await db.select().from(agentSessions).where(eq(agentSessions.id, sessionId));
      if (!session) throw new Error(`Session ${sessionId} does not exist`);
      await db
        .update(agentSessions)
        .set({ status: 'running', tier, error: null, startedAt: session.startedAt ?? new Date(), updatedAt: new Date() })
        .where(eq(agentSessions.id, sessionId));
      const done = dependencies.length
        ? `\n\nWork already done by tasks this one depends on:\n${dependencies.map((d) => `- ${d.taskId}: ${d.summary} (files: ${d.changedFiles.join(', ') || 'none'})`).join('\n')}`
        : '';
      const title = (session.plan as { title?: string } | null)?.title ?? session.taskKey;
      const conflict = conflicts.length
        ? `\n\nYour earlier work on this task conflicts with work merged since. The merge is in progress in your working copy; these files have conflict markers: ${conflicts.join(', ')}. Edit them so both changes keep their intent, remove every marker, check the work still passes, then call finish.`
        : '';
      await appendSessionEvent(db, {
        conversationId,
        sessionId,
        kind: 'task.status',
        payload: { taskId: session.taskKey, status: 'running', attempt, tier },
        idempotencyKey: `${sessionId}:a${attempt}:running`,
      });
      await appendSessionEvent(db, {
        conversationId,
        sessionId,
        kind: 'agent.instructions',
        payload: { attempt, tier, title, conflicts, text: `Task: ${title}\n\n${session.task}${done}${conflict}` },
        idempotencyKey: `${sessionId}:a${attempt}:instructions`,
      });
    },

    /** Closes an attempt with its outcome; the output keeps one entry per attempt. */
    async finishAgentAttempt(input: {
      sessionId: string;
      conversationId: string;
      attempt: number;
      status: 'done' | 'failed' | 'stopped';
      summary: string;
      error?: string;
      changedFiles: string[];
    }) {
      const { sessionId, conversationId, attempt, status, summary, error, changedFiles } = input;
      const entry = { attempt, status, summary, error: error ?? null };
      await db
        .update(agentSessions)
        .set({
          status,
          error: error ?? null,
          changedFiles,
          completedAt: new Date(),
          updatedAt: new Date(),
          output: sql`case when ${agentSessions.output} @> ${JSON.stringify([{ attempt }])}::jsonb then ${agentSessions.output}
                      else ${agentSessions.output} || ${JSON.stringify([entry])}::jsonb end`,
        })
        .where(eq(agentSessions.id, sessionId));
      const [session] = await db.select({ taskKey: agentSessions.taskKey }).from(agentSessions).where(eq(agentSessions.id, sessionId));
      await appendSessionEvent(db, {
        conversationId,
        sessionId,
        kind: 'task.status',
        payload: { taskId: session?.taskKey, ...entry },
        idempotencyKey: `${sessionId}:a${attempt}:finished`,
      });
    },
  };
}
