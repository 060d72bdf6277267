/**
 * One activity per advisor round. Through the whole request: a code advisor that reads twice then answers,
 * with Postgres refusing the first write after each of two paid model calls (as a worker dying there would
 * leave it), so Temporal retries those rounds; the model is still asked once per round. Then the round
 * activity on its own: a round asked again returns what it recorded, the last round offers no tools, and an
 * advisor without tools answers at once.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../activities/index.js';
import { ADVISOR_READING_ROUNDS } from '../core/advisor-rounds.js';
import { createDemoRepository } from '../demo/create-demo-repo.js';
import { advisorConversations, advisorRounds, projects } from '../db/schema.js';
import { scenarioSchema, type Scenario } from '../llm/scenario.js';
import { ScriptedProvider } from '../llm/scripted-provider.js';
import type { LlmProvider, LlmRequest } from '../llm/types.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { testDeps } from './helpers/deps.js';
import { startRequestHarness } from './helpers/request-harness.js';
import { oneTaskScenario, planReply } from './helpers/scenarios.js';

/** The scripted provider, with every call it answered kept: the model calls a test counts. */
function countingProvider(scenarios: Scenario[]) {
  const scripted = new ScriptedProvider(scenarios);
  const calls: LlmRequest[] = [];
  const llm: LlmProvider = {
    name: scripted.name,
    complete: async (request) => {
      const response = await scripted.complete(request);
      calls.push(request);
      return response;
    },
  };
  const advisorCalls = (module: string) => calls.filter((c) => c.role === 'advisor' && c.meta.module === module);
  return { llm, advisorCalls };
}

/** A code advisor that lists the repository, reads its README, then answers with the one-task plan. */
function readingScenario(name: string, reads = [{ tool: 'list_files', input: {} }, { tool: 'read_file', input: { path: 'README.md' } }]): Scenario {
  return scenarioSchema.parse({ ...oneTaskScenario(name), advisorTools: { code: reads } });
}

/**
 * Postgres refuses the first time `event` happens on `table` for the code advisor (a sequence, which a
 * rollback does not undo, counts the times): the activity fails right after its model call was paid for and
 * kept, as if its worker had died there, and Temporal runs it again.
 */
async function failOnce(database: TestDatabase, name: string, table: string, event: string, when: string) {
  await database.pool.query(`create sequence ${name}_seq`);
  await database.pool.query(`create function ${name}() returns trigger language plpgsql as $$
    begin
      if nextval('${name}_seq') = 1 then raise exception 'the worker died here (${name})'; end if;
      return new;
    end $$`);
  await database.pool.query(`create trigger ${name} before ${event} on ${table} for each row when (${when}) execute function ${name}()`);
}

describe('advisor rounds through a request', () => {
  const scenario = readingScenario('rounds');
  const counting = countingProvider([scenario]);
  let h: Awaited<ReturnType<typeof startRequestHarness>>;

  beforeAll(async () => {
    h = await startRequestHarness([], {}, { deps: { llm: counting.llm } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a code advisor that reads twice then answers completes, each round paid once though two were retried', async () => {
    // After round 0's reply is kept, its tool results fail to be kept; after the answer, the plan fails to be kept.
    await failOnce(h.database, 'die_after_reading', 'advisor_rounds', 'update', "NEW.module = 'code' and NEW.tool_results is not null");
    await failOnce(h.database, 'die_after_answer', 'advisor_conversations', 'insert', "NEW.module = 'code'");
    const projectId = await h.createProject();

    const { conversationId, done } = await h.runConfirmed(projectId, 'rounds: write the notes');

    expect(done.status).toBe('completed');
    const rounds = await h.database.db
      .select()
      .from(advisorRounds)
      .where(and(eq(advisorRounds.conversationId, conversationId), eq(advisorRounds.module, 'code')))
      .orderBy(asc(advisorRounds.round));
    expect(rounds.map((r) => [r.round, r.toolResults === null])).toEqual([
      [0, false],
      [1, false],
      [2, true],
    ]);
    // The reading really happened: the listing and the README reached the model's next rounds.
    expect(JSON.stringify(rounds[0]!.toolResults)).toContain('README.md');
    // Both injected failures struck, so the two rounds really were run twice.
    const struck = await h.database.pool.query(`select (select last_value from die_after_reading_seq) as r, (select last_value from die_after_answer_seq) as a`);
    expect(Number(struck.rows[0].r)).toBeGreaterThanOrEqual(2);
    expect(Number(struck.rows[0].a)).toBeGreaterThanOrEqual(2);
    // Three model calls for three rounds: neither retry asked the model again.
    expect(counting.advisorCalls('code')).toHaveLength(3);
    const [advisor] = await h.database.db.select().from(advisorConversations).where(and(eq(advisorConversations.parentId, conversationId), eq(advisorConversations.module, 'code')));
    expect(advisor?.result).toMatchObject({ summary: 'Write notes/rounds.md' });
  }, 240_000);
});

describe('the advisor round activity', () => {
  let database: TestDatabase;
  let deps: Awaited<ReturnType<typeof testDeps>>;
  let counting: ReturnType<typeof countingProvider>;
  let activities: ReturnType<typeof createActivities>;
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    const many = Array.from({ length: ADVISOR_READING_ROUNDS + 1 }, () => ({ tool: 'list_files', input: {} }));
    counting = countingProvider([
      readingScenario('twice'),
      readingScenario('endless', many),
      scenarioSchema.parse({ ...oneTaskScenario('growth'), advisors: { growth: { summary: 'Tell people', tasks: [{ title: 'Post', instructions: 'Post it', complexity: 'simple' }] } } }),
    ]);
    deps = await testDeps(database.db, [], { llm: counting.llm });
    activities = createActivities(deps);
  });
  afterAll(async () => {
    await database?.drop();
    await deps?.cleanup();
  });

  /** A project on the demo repository, its context loaded (the reference copy the code advisor reads), and a confirmed plan. */
  async function request(requestText: string) {
    const remote = await createDemoRepository({ stateDir: deps.home });
    const [project] = await database.db.insert(projects).values({ name: requestText.split(':')[0]!, repoUrl: remote.remoteUrl }).returning({ id: projects.id });
    const plan = planReply(requestText).plan;
    const [conversation] = await database.db
      .insert(advisorConversations)
      .values({ projectId: project!.id, requestText, plan: { version: 1, ...plan } })
      .returning({ id: advisorConversations.id });
    const ref = { projectId: project!.id, conversationId: conversation!.id, requestText };
    await env.run(activities.loadContext, ref);
    return ref;
  }

  it('answers a round asked again with what it recorded, without calling the model', async () => {
    const ref = { ...(await request('twice: write the notes')), module: 'code' as const };
    const outcomes = [];
    for (const round of [0, 0, 1, 1, 2, 2]) outcomes.push(await env.run(activities.advisorRound, { ...ref, round }));
    expect(outcomes).toEqual([{ done: false }, { done: false }, { done: false }, { done: false }, { done: true, summary: 'Write notes/twice.md' }, { done: true, summary: 'Write notes/twice.md' }]);
    expect(counting.advisorCalls('code').filter((c) => c.meta.requestText === ref.requestText)).toHaveLength(3);

    // A round whose reply was kept but whose tools were not (the worker died between): the tools run again, the model is not asked.
    await database.db.update(advisorRounds).set({ toolResults: null }).where(and(eq(advisorRounds.conversationId, ref.conversationId), eq(advisorRounds.round, 1)));
    await database.db.delete(advisorConversations).where(eq(advisorConversations.parentId, ref.conversationId));
    expect(await env.run(activities.advisorRound, { ...ref, round: 1 })).toEqual({ done: false });
    expect(await env.run(activities.advisorRound, { ...ref, round: 2 })).toEqual({ done: true, summary: 'Write notes/twice.md' });
    expect(counting.advisorCalls('code').filter((c) => c.meta.requestText === ref.requestText)).toHaveLength(3);
  });

  it('offers no tools from the last reading round on, so that round answers', async () => {
    const ref = { ...(await request('endless: write the notes')), module: 'code' as const };
    for (let round = 0; round < ADVISOR_READING_ROUNDS; round++) expect(await env.run(activities.advisorRound, { ...ref, round })).toEqual({ done: false });
    const last = await env.run(activities.advisorRound, { ...ref, round: ADVISOR_READING_ROUNDS });
    expect(last).toEqual({ done: true, summary: 'Write notes/endless.md' });
    const calls = counting.advisorCalls('code').filter((c) => c.meta.requestText === ref.requestText);
    expect(calls.slice(0, ADVISOR_READING_ROUNDS).every((c) => (c.tools?.length ?? 0) > 0)).toBe(true);
    // The answer round: no tools, a JSON answer asked for (the script still asked for a tool, so it was re-asked once).
    expect(calls.slice(ADVISOR_READING_ROUNDS).map((c) => [c.tools, c.json])).toEqual([
      [undefined, true],
      [undefined, true],
    ]);
  });

  it('lets an advisor without tools answer in round 0', async () => {
    const ref = { ...(await request('growth: tell people')), module: 'growth' as const };
    expect(await env.run(activities.advisorRound, { ...ref, round: 0 })).toEqual({ done: true, summary: 'Tell people' });
    const calls = counting.advisorCalls('growth').filter((c) => c.meta.requestText === ref.requestText);
    expect(calls.map((c) => c.tools)).toEqual([undefined]);
    const rounds = await database.db.select().from(advisorRounds).where(eq(advisorRounds.conversationId, ref.conversationId));
    expect(rounds.map((r) => [r.module, r.round])).toEqual([['growth', 0]]);
  });
});
