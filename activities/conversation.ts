/** Activities that keep a request's conversation row and event stream current. */
import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE } from '../core/failure-types.js';
import { and, desc, eq, sql } from 'drizzle-orm';
import { appendSessionEvent } from '../db/queries/session-events.js';
import { appendMessage, getConversation, updateConversation } from '../db/queries/conversations.js';
import { advisorConversations, agentSessions, deploys, projects } from '../db/schema.js';
import { recallMemories } from '../db/queries/memory.js';
import type { RequestOutcome, RequestPhase, RequestState, RequestStatus, TaskStatus } from '../workflows/request-contract.js';
import { gitCredentials } from '../db/queries/project-secrets.js';
import { repositorySummary } from './repository-summary.js';
import type { ActivityDeps } from './deps.js';
import { whileHeartbeating } from './heartbeat.js';
import { founderGitAuth } from './git-auth-failure.js';

/** Tokens of Assist's prompt that memories may take. */
const MEMORY_TOKEN_BUDGET = 1_500;

export function createConversationActivities({ db, home }: Pick<ActivityDeps, 'db' | 'home'>) {
  return {
    /**
     * Gathers what Assist knows at the start (project, memories, recent work, last deploy, the repository) and
     * keeps it as the conversation's context_snapshot: "what did it know when it said that?"
     *
     * A regular activity on the git profile (it clones or fetches, which may take minutes): it heartbeats while
     * git runs, and a refused token ends it at once in the founder's words (GitAuthFailed), never retried.
     * Runs started before that change call it as a local activity, where the same code runs.
     */
    async loadContext({ projectId, conversationId }: { projectId: string; conversationId: string }) {
      const [project] = await db.select().from(projects).where(eq(projects.id, projectId));
      if (!project) throw ApplicationFailure.nonRetryable(`Project ${projectId} does not exist`, FAILURE.projectNotFound);
      const [conversation] = await db.select({ requestText: advisorConversations.requestText }).from(advisorConversations).where(eq(advisorConversations.id, conversationId));
      const memories = await recallMemories(db, projectId, conversation?.requestText ?? '', MEMORY_TOKEN_BUDGET);
      const recentSessions = await db
        .select({ task: agentSessions.task, status: agentSessions.status, completedAt: agentSessions.completedAt })
        .from(agentSessions)
        .where(eq(agentSessions.projectId, projectId))
        .orderBy(desc(agentSessions.createdAt))
        .limit(10);
      const [lastDeploy] = await db.select().from(deploys).where(eq(deploys.projectId, projectId)).orderBy(desc(deploys.startedAt)).limit(1);
      const credentials = await gitCredentials(db, projectId);
      const repository = await whileHeartbeating(() =>
        founderGitAuth(credentials, projectId, () => repositorySummary({ home, projectId, remoteUrl: project.repoUrl, branch: project.defaultBranch, credentials })),
      );
      const snapshot = {
        project: { name: project.name, defaultBranch: project.defaultBranch, timezone: project.timezone },
        // Open items are listed apart so Assist can follow up on them ("you wanted to revisit onboarding").
        memories: memories.filter((m) => m.category !== 'open'),
        openItems: memories.filter((m) => m.category === 'open'),
        recentSessions: recentSessions.map((s) => ({ ...s, task: s.task.slice(0, 200) })),
        lastDeploy: lastDeploy ? { commit: lastDeploy.commit, status: lastDeploy.status, at: lastDeploy.startedAt } : null,
        repository,
      };
      await updateConversation(db, conversationId, { contextSnapshot: snapshot });
      return { files: repository.files.length, memories: memories.length };
    },

    /** Phase, status, plan, outcome and error as the workflow sees them, plus a `phase` event. */
    async recordRequestState(input: {
      conversationId: string;
      key: string;
      phase: RequestPhase;
      status: RequestStatus;
      plan: RequestState['plan'];
      outcome: RequestOutcome;
      error: string | null;
    }) {
      const { conversationId, key, ...state } = input;
      await updateConversation(db, conversationId, { ...state });
      await appendSessionEvent(db, {
        conversationId,
        kind: 'phase',
        payload: { phase: state.phase, status: state.status, outcome: state.outcome, error: state.error },
        idempotencyKey: key,
      });
    },

    async recordFounderMessage({ conversationId, messageId, text }: { conversationId: string; messageId: string; text: string }) {
      await appendMessage(db, conversationId, { id: messageId, role: 'founder', content: text, timestamp: new Date().toISOString() });
      await appendSessionEvent(db, { conversationId, kind: 'founder.message', payload: { text }, idempotencyKey: `${conversationId}:founder:${messageId}` });
    },

    /** A signal the workflow would not act on (a stale confirm, a decline with no plan): kept for the record. */
    async recordRefusedSignal({ conversationId, key, signal, reason }: { conversationId: string; key: string; signal: string; reason: string }) {
      await appendSessionEvent(db, { conversationId, kind: 'signal.refused', payload: { signal, reason }, idempotencyKey: key });
    },

    /** A task's status change; a skipped task never runs, so its session row is closed out here. */
    async recordTaskStatus({ conversationId, key, taskId, status }: { conversationId: string; key: string; taskId: string; status: TaskStatus }) {
      if (status === 'skipped') {
        await db
          .update(agentSessions)
          .set({ status: 'skipped', completedAt: new Date(), updatedAt: new Date() })
          .where(and(eq(agentSessions.conversationId, conversationId), eq(agentSessions.taskKey, taskId)));
      }
      await appendSessionEvent(db, { conversationId, kind: 'task.status', payload: { taskId, status }, idempotencyKey: key });
    },

    /** Asks the founder, as Assist, whether to spend more; the request waits for the answer. */
    async askForBudget(input: { projectId: string; conversationId: string; key: string; scope: 'request' | 'project'; spentUsd: number; limitUsd: number }) {
      const { conversationId, key, scope, spentUsd, limitUsd } = input;
      const more = Math.max(1, Math.ceil(limitUsd / 2));
      const what = scope === 'request' ? 'its budget' : "your project's monthly budget";
      const text =
        `This request has reached ${what}: $${spentUsd.toFixed(2)} spent of $${limitUsd.toFixed(2)}, and the work isn't finished. ` +
        `I've paused it. Shall I spend up to $${more} more to finish it? Nothing is lost while it waits.`;
      await updateConversation(db, conversationId, { budgetPause: { scope, spentUsd, limitUsd } });
      await appendMessage(db, conversationId, { id: key, role: 'assist', content: text, reply: { kind: 'question', text }, timestamp: new Date().toISOString() });
      await appendSessionEvent(db, { conversationId, kind: 'budget.paused', payload: { scope, spentUsd, limitUsd, suggestedUsd: more, text }, idempotencyKey: key });
    },

    /** Adds the founder's raise to what this request may spend, once per answer even if retried. */
    async raiseBudget({ conversationId, key, amountUsd }: { conversationId: string; key: string; amountUsd: number }) {
      await db.transaction(async (tx) => {
        const { inserted } = await appendSessionEvent(tx, { conversationId, kind: 'budget.raised', payload: { amountUsd }, idempotencyKey: key });
        if (!inserted) return;
        await tx
          .update(advisorConversations)
          .set({ budgetExtraUsd: sql`${advisorConversations.budgetExtraUsd} + ${amountUsd}`, budgetPause: null, updatedAt: new Date() })
          .where(eq(advisorConversations.id, conversationId));
      });
    },

    /** Marks every task of the request that had not ended as stopped. */
    async stopRequest({ conversationId, key }: { conversationId: string; key: string }) {
      const conversation = await getConversation(db, conversationId);
      const open = (await db.select().from(agentSessions).where(eq(agentSessions.conversationId, conversationId))).filter(
        (s) => s.status === 'pending' || s.status === 'running',
      );
      for (const s of open) {
        await db.update(agentSessions).set({ status: 'stopped', completedAt: new Date(), updatedAt: new Date() }).where(eq(agentSessions.id, s.id));
      }
      await appendSessionEvent(db, {
        conversationId,
        kind: 'request.stopped',
        payload: { stoppedTasks: open.map((s) => s.taskKey), phase: conversation?.phase },
        idempotencyKey: key,
      });
    },
  };
}
