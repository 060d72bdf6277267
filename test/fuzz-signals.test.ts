/**
 * Founder signals fuzzed against a live request: message, confirm (right, stale and future versions), decline,
 * revise, stop and budget, each possibly twice, at generated moments across every phase, and again after the
 * request ended. The API never fails, the request ends in one consistent state (the workflow's result and the
 * stored row agree), the step log stays contiguous, and at most one commit lands.
 * Seeded and reproducible: FUZZ_SEED=<n>, FUZZ_SIGNAL_RUNS=<n>.
 */
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSessions } from '../db/schema.js';
import { runGit } from '../runtime/git/run-git.js';
import type { RequestState } from '../workflows/request-contract.js';
import { eventually } from './helpers/poll.js';
import { startRequestHarness } from './helpers/request-harness.js';
import { oneTaskScenario, planReply } from './helpers/scenarios.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const RUNS = Number(process.env.FUZZ_SIGNAL_RUNS ?? 6);

const signal = fc.oneof(
  fc.record({ action: fc.constant('message'), body: fc.constant({ text: 'The home page, please.' }) }),
  fc.record({ action: fc.constant('confirm'), body: fc.record({ planVersion: fc.integer({ min: 1, max: 3 }) }) }),
  fc.record({ action: fc.constant('decline'), body: fc.constant({}) }),
  fc.record({ action: fc.constant('revise'), body: fc.constant({ text: 'Smaller, please.' }) }),
  fc.record({ action: fc.constant('stop'), body: fc.constant({}) }),
  fc.record({ action: fc.constant('budget'), body: fc.constant({ amountUsd: 1 }) }),
);
/** What the founder does: signals at moments spread over the request's life, some sent twice at once. */
const founderActions = fc.array(fc.record({ waitMs: fc.integer({ min: 0, max: 900 }), signal, twice: fc.boolean() }), { minLength: 2, maxLength: 8 });

describe('signal fuzzing: any order, any phase, twice, after the end', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let projectId: string;

  beforeAll(async () => {
    // A question first, then a plan card, then a revised one: every founder-facing phase is there to hit.
    const scenario = oneTaskScenario('signals', {
      assist: [{ kind: 'question', text: 'Which page should it go on?' }, planReply('Write notes/signals.md'), planReply('Write a shorter notes/signals.md')],
      file: 'notes/signals.md',
      delayMs: 400,
    });
    h = await startRequestHarness([scenario], { confirmTimeoutMs: 4_000 });
    projectId = await h.createProject();
  });
  afterAll(() => h?.stop());

  it(`ends every one of ${RUNS} requests in one consistent state (seed ${SEED})`, { timeout: RUNS * 45_000 }, async () => {
    const runs = fc.sample(founderActions, { seed: SEED, numRuns: RUNS });
    for (const [i, actions] of runs.entries()) {
      const where = `run ${i}: ${JSON.stringify(actions)}`;
      const commitsBefore = Number((await runGit(h.remote.bareDir, ['rev-list', '--count', 'main'])).stdout.trim());
      const { conversationId, workflowId } = await h.startRequest(projectId, `signals run ${i}`);
      const send = async (s: { action: string; body: object }) => {
        const res = await h.call('POST', `/api/conversations/${conversationId}/${s.action}`, s.body);
        expect([202, 409], `${where}: ${s.action} → ${JSON.stringify(res.body)}`).toContain(res.status);
        return res.status;
      };
      for (const a of actions) {
        await new Promise((r) => setTimeout(r, a.waitMs));
        await Promise.all(a.twice ? [send(a.signal), send(a.signal)] : [send(a.signal)]);
      }
      // Whatever the founder left unanswered times out (deferred) or the work finishes; either way it ends.
      const result = (await h.temporal.client.workflow.getHandle(workflowId).result()) as RequestState;
      const row = await eventually(`${where}: the row`, async () => {
        const c = await h.conversation(conversationId);
        return c.status !== 'running' ? c : undefined;
      });
      expect(row, where).toMatchObject({ status: result.status, phase: 'done', outcome: result.outcome });
      expect(['completed', 'stopped', 'failed'], where).toContain(result.status);

      const events = await h.events(conversationId);
      expect(events.map((e) => e.seq), where).toEqual(events.map((_, k) => k + 1));
      const tasks = await h.database.db.select({ status: agentSessions.status }).from(agentSessions).where(eq(agentSessions.conversationId, conversationId));
      expect(tasks.filter((t) => t.status === 'running' || t.status === 'pending'), where).toEqual([]);
      const commits = Number((await runGit(h.remote.bareDir, ['rev-list', '--count', 'main'])).stdout.trim()) - commitsBefore;
      expect(commits, where).toBeLessThanOrEqual(result.outcome === 'tasked' ? 1 : 0);
      expect(events.filter((e) => e.kind === 'deploy').length, where).toBeLessThanOrEqual(1);

      // A finished conversation refuses every signal plainly, and is unchanged by them.
      for (const s of ['message', 'confirm', 'decline', 'revise', 'stop', 'budget']) {
        const res = await h.call('POST', `/api/conversations/${conversationId}/${s}`, s === 'confirm' ? { planVersion: 1 } : s === 'budget' ? { amountUsd: 1 } : s === 'message' || s === 'revise' ? { text: 'hello?' } : {});
        expect(res.status, `${where}: ${s} after the end`).toBe(409);
        expect(res.body.error.code).toBe('conversation_finished');
      }
      expect(await h.events(conversationId), where).toHaveLength(events.length);
    }
  });
});
