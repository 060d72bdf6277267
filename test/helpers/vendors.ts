import type { Scenario } from '../../llm/scenario.js';
import type { PriceTable } from '../../llm/pricing.js';
import { createTierRouter } from '../../llm/tier-router.js';
import { startFakeAnthropic } from '../fakes/anthropic-server.js';
import { startFakeGemini } from '../fakes/gemini-server.js';
import { anthropicResponder, geminiResponder } from '../fakes/scripted-wire.js';

/** Prices for the fake vendors' models, round enough to check costs by hand. */
export const TEST_PRICES: PriceTable = {
  'claude-test': { inputPerMTok: 3, outputPerMTok: 15, cachedPerMTok: 0.3 },
  'gemini-test': { inputPerMTok: 0.3, outputPerMTok: 2.5, cachedPerMTok: 0.075 },
};

/**
 * Both fake vendors serving a scenario over their wire formats, and the real providers pointed at them:
 * Tier A on Gemini, Tiers B and C on Anthropic, as the product's defaults.
 */
export async function startFakeVendors(scenario: Scenario) {
  const anthropic = await startFakeAnthropic();
  anthropic.responder = anthropicResponder(scenario);
  const gemini = await startFakeGemini({ responder: geminiResponder(scenario) });
  const llm = createTierRouter(
    {
      tiers: {
        A: { provider: 'gemini', model: 'gemini-test' },
        B: { provider: 'anthropic', model: 'claude-test' },
        C: { provider: 'anthropic', model: 'claude-test' },
      },
      anthropic: { apiKey: 'sk-test-anthropic-secret', baseURL: anthropic.baseURL },
      gemini: { apiKey: 'test-gemini-secret', baseURL: gemini.baseURL },
      webSearch: false,
      prices: TEST_PRICES,
    },
    [],
  );
  return {
    anthropic,
    gemini,
    llm,
    async close() {
      await anthropic.close();
      await gemini.close();
    },
  };
}
