import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarioSchema, type Scenario } from '../llm/scenario.js';
import { recallMemories } from '../db/queries/memory.js';
import { advisorConversations, advisorMemory } from '../db/schema.js';
import { eq } from 'drizzle-orm';
import { startRequestHarness } from './helpers/request-harness.js';

/** A conversation Assist answers at once, after which the memory step keeps `memory`. */
const answered = (name: string, memory: unknown): Scenario =>
  scenarioSchema.parse({ name, match: `^${name}\\b`, assist: [{ kind: 'answer', text: `Noted (${name}).` }], memory });

type Snapshot = { memories: Array<{ key: string; value: string; category: string }>; openItems: Array<{ key: string; value: string }> };

describe('Assist remembers: memory written after one conversation shapes the next', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let projectId: string;

  beforeAll(async () => {
    h = await startRequestHarness([
      answered('pricing', {
        items: [
          { category: 'decision', key: 'pricing_model', value: 'Free tier stays; Pro costs $12 a month', confidence: 0.9 },
          { category: 'open', key: 'onboarding review', value: 'Revisit the onboarding flow this week', confidence: 0.8 },
          { category: 'context', key: 'launch_channel', value: 'Launching on Product Hunt', confidence: 0.7 },
        ],
      }),
      answered('reprice', {
        items: [{ category: 'decision', key: 'Pricing Model', value: 'Pro now costs $15 a month', confidence: 0.95 }],
        resolved: ['onboarding_review'],
        contradicted: ['launch_channel'],
      }),
      answered('again', {
        items: [{ category: 'decision', key: 'pricing_model', value: 'Pro costs $15 a month, yearly gets 2 months free', confidence: 0.9 }],
        contradicted: ['launch_channel'],
      }),
      answered('nothing', { items: [] }),
      answered('garbage', { items: [{ category: 'gossip', key: '', value: 1 }] }),
    ]);
    projectId = await h.createProject();
  });
  afterAll(() => h?.stop());

  /** Runs a conversation to its end (Assist answers, then the memory step) and returns its context snapshot. */
  async function converse(text: string) {
    const { conversationId } = await h.startRequest(projectId, text);
    await h.waitFor(conversationId, 'the answer', (c) => c.status === 'completed');
    const memoryDone = async () => (await h.events(conversationId)).some((e) => e.kind === 'memory.updated');
    await expect.poll(memoryDone, { timeout: 30_000 }).toBe(true);
    const [row] = await h.database.db.select({ snapshot: advisorConversations.contextSnapshot }).from(advisorConversations).where(eq(advisorConversations.id, conversationId));
    return { conversationId, snapshot: row!.snapshot as Snapshot };
  }
  const rows = () => h.database.db.select().from(advisorMemory).where(eq(advisorMemory.projectId, projectId));

  it('keeps decisions and open items, then updates by key, closes what was resolved and doubts what was contradicted', async () => {
    const first = await converse('pricing: free tier stays, Pro at $12');
    expect(first.snapshot.memories).toEqual([]);
    const second = await converse('reprice to $15, and the onboarding is done');
    // What the first conversation taught is in the second's context; the open item is listed for a follow-up.
    expect(second.snapshot.memories).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'pricing_model', value: 'Free tier stays; Pro costs $12 a month' })]));
    expect(second.snapshot.openItems).toEqual([expect.objectContaining({ key: 'onboarding_review', value: 'Revisit the onboarding flow this week' })]);

    const third = await converse('again what do we charge?');
    expect(third.snapshot.memories.filter((m) => m.key === 'pricing_model')).toEqual([expect.objectContaining({ value: 'Pro now costs $15 a month' })]);
    expect(third.snapshot.openItems).toEqual([]);
    // One row per key, however often it was restated.
    const stored = await rows();
    expect(stored.map((r) => r.key).sort()).toEqual(['launch_channel', 'onboarding_review', 'pricing_model']);
    expect(stored.find((r) => r.key === 'onboarding_review')!.closedAt).not.toBeNull();
    // Contradicted twice (0.7 halved, then halved again): below the recall threshold, so no longer in Assist's
    // context, but still listed for the founder.
    expect(stored.find((r) => r.key === 'launch_channel')!.confidence).toBeCloseTo(0.175);
    const fourth = await converse('nothing new today');
    expect(fourth.snapshot.memories.map((m) => m.key)).toEqual(['pricing_model']);
    const listed = (await h.call('GET', `/api/projects/${projectId}/memory`)).body.memories as Array<{ key: string }>;
    expect(listed.map((m) => m.key).sort()).toEqual(['launch_channel', 'onboarding_review', 'pricing_model']);
  });

  it('honours an edit and a deletion from the founder in the next conversation', async () => {
    const memories = (await h.call('GET', `/api/projects/${projectId}/memory?q=pricing`)).body.memories as Array<{ id: string; key: string }>;
    expect(memories.map((m) => m.key)).toEqual(['pricing_model']);
    const pricing = memories[0]!;
    const edited = await h.call('PATCH', `/api/projects/${projectId}/memory/${pricing.id}`, { value: 'Pro costs $20 a month', pinned: true });
    expect(edited.status).toBe(200);
    let next = await converse('nothing to add');
    expect(next.snapshot.memories).toEqual([expect.objectContaining({ key: 'pricing_model', value: 'Pro costs $20 a month' })]);

    expect((await h.call('DELETE', `/api/projects/${projectId}/memory/${pricing.id}`)).status).toBe(204);
    next = await converse('nothing else');
    expect(next.snapshot.memories).toEqual([]);
  });

  it('keeps nothing from a memory reply that does not fit the schema, and the conversation still ends well', async () => {
    const before = (await rows()).length;
    const { conversationId } = await h.startRequest(projectId, 'garbage in');
    const done = await h.waitFor(conversationId, 'the answer', (c) => c.status === 'completed');
    expect(done.outcome).toBeNull();
    // Re-asked once, refused again: the step gives up without writing anything.
    await expect.poll(async () => (await h.database.pool.query("select count(*)::int as n from llm_calls where conversation_id = $1 and role = 'memory'", [conversationId])).rows[0].n, { timeout: 30_000 }).toBe(2);
    expect((await rows()).length).toBe(before);
    expect((await h.events(conversationId)).some((e) => e.kind === 'memory.updated')).toBe(false);
  });

  it('recalls within a token budget, pinned and open items first, then by relevance', async () => {
    const other = await h.createProject('recall');
    await h.database.db.insert(advisorMemory).values([
      { projectId: other, category: 'context', key: 'audience', value: 'Small bakeries in Lyon' },
      { projectId: other, category: 'decision', key: 'newsletter_cadence', value: 'Send the newsletter every Tuesday morning' },
      { projectId: other, category: 'preference', key: 'tone', value: 'Warm and brief', pinned: true },
      { projectId: other, category: 'open', key: 'hiring', value: 'Decide on a part-time designer' },
      ...Array.from({ length: 50 }, (_, i) => ({ projectId: other, category: 'context', key: `filler_${i}`, value: 'x'.repeat(200) })),
    ]);
    const recalled = await recallMemories(h.database.db, other, 'When should the newsletter go out?', 200);
    expect(recalled.slice(0, 3).map((m) => m.key)).toEqual(['tone', 'hiring', 'newsletter_cadence']);
    const tokens = recalled.reduce((sum, m) => sum + Math.ceil((m.key.length + m.value.length + 24) / 4), 0);
    expect(tokens).toBeLessThanOrEqual(200);
    expect(recalled.length).toBeLessThan(54);
  });
});
