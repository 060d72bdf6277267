import { z } from 'zod';
import type { Tier } from '../core/plan.js';

export const PROVIDERS = ['anthropic', 'gemini', 'scripted'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export type TierModel = { provider: ProviderName; model: string };

/** `provider:model`, e.g. `anthropic:claude-sonnet-4-6`; the model part may itself contain colons. */
export const tierModelSchema = z
  .string()
  .trim()
  .transform((value, ctx): TierModel => {
    const at = value.indexOf(':');
    const provider = value.slice(0, at) as ProviderName;
    const model = value.slice(at + 1);
    if (at < 1 || !model || !PROVIDERS.includes(provider)) {
      ctx.addIssue({ code: 'custom', message: `must be provider:model with provider one of ${PROVIDERS.join(', ')}` });
      return z.NEVER;
    }
    return { provider, model };
  });

/** The seed's tiers: A cheap and fast (orchestration, simple edits), B standard (Assist, advisors), C strongest. */
export const DEFAULT_TIER_MODELS: Record<Tier, string> = {
  A: 'gemini:gemini-2.5-flash',
  B: 'anthropic:claude-sonnet-4-6',
  C: 'anthropic:claude-opus-4-6',
};
