/**
 * What model calls cost, per million tokens, so every llm_calls row carries its price and the founder can see
 * what a request cost. Defaults are the vendors' list prices for the default tier models; LLM_PRICES (JSON)
 * overrides or extends them.
 */
import { z } from 'zod';
import type { Usage } from './types.js';

export const priceSchema = z.object({
  inputPerMTok: z.number().min(0),
  outputPerMTok: z.number().min(0),
  /** Tokens read from the vendor's prompt cache. */
  cachedPerMTok: z.number().min(0),
});
export type Price = z.infer<typeof priceSchema>;
export const priceTableSchema = z.record(z.string(), priceSchema);
export type PriceTable = z.infer<typeof priceTableSchema>;

export const DEFAULT_PRICES: PriceTable = {
  'gemini-2.5-flash': { inputPerMTok: 0.3, outputPerMTok: 2.5, cachedPerMTok: 0.075 },
  'claude-sonnet-4-6': { inputPerMTok: 3, outputPerMTok: 15, cachedPerMTok: 0.3 },
  'claude-opus-4-6': { inputPerMTok: 5, outputPerMTok: 25, cachedPerMTok: 0.5 },
};

/** The price of one call in USD; undefined when the model has no price (the caller decides what that means). */
export function costOf(prices: PriceTable, model: string, usage: Usage): number | undefined {
  const price = prices[model];
  if (!price) return undefined;
  return (usage.inputTokens * price.inputPerMTok + usage.outputTokens * price.outputPerMTok + usage.cachedTokens * price.cachedPerMTok) / 1_000_000;
}
