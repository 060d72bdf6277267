/**
 * What Assist and the advisors may answer, as zod schemas. Model output is untrusted input: every reply is
 * parsed against these before anything acts on it.
 */
import { z } from 'zod';

export const MODULES = ['code', 'growth', 'analytics'] as const;
export const moduleSchema = z.enum(MODULES).describe('Which specialist handles this: code, growth or analytics');
export type Module = z.infer<typeof moduleSchema>;

export const TIERS = ['A', 'B', 'C'] as const;
export const tierSchema = z.enum(TIERS);
export type Tier = z.infer<typeof tierSchema>;

/** The next tier up, for a task that failed on its tier; undefined at the top. */
export function nextTier(tier: Tier): Tier | undefined {
  return TIERS[TIERS.indexOf(tier) + 1];
}

const text = (max: number) => z.string().trim().min(1).max(max);

/** The plain-language card the founder confirms. No tiers, no agents: only what will happen and how long. */
export const planCardSchema = z.object({
  summary: text(2_000).describe('What will be done, in plain words for a non-technical founder'),
  items: z
    .array(z.object({ module: moduleSchema, text: text(500).describe('One piece of the work, in plain words') }))
    .min(1)
    .max(20),
  estimatedMinutes: z.number().int().min(1).max(600).describe('Honest estimate of how long the work takes'),
});
export type PlanCard = z.infer<typeof planCardSchema>;

/** One Assist turn: an answer, a clarifying question, or a plan to confirm. */
export const assistReplySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('answer'), text: text(8_000) }),
  z.object({ kind: z.literal('question'), text: text(2_000) }),
  z.object({ kind: z.literal('plan'), text: text(4_000).describe('A short message shown above the plan card'), plan: planCardSchema }),
]);
export type AssistReply = z.infer<typeof assistReplySchema>;

/** A specialist advisor's scoped plan for its part of the work. */
export const advisorPlanSchema = z.object({
  summary: text(2_000),
  tasks: z
    .array(
      z.object({
        title: text(200),
        instructions: text(8_000).describe('What the agent must do, precisely enough to do it without asking'),
        complexity: z.enum(['simple', 'standard', 'complex']),
      }),
    )
    .min(1)
    .max(25),
});
export type AdvisorPlan = z.infer<typeof advisorPlanSchema>;

/** Assist's closing message once the work is live (or could not be). */
export const followUpSchema = z.object({ text: text(4_000) });
