/**
 * Routes each call to the provider and model configured for its tier (TIER_A_MODEL …), so activities ask
 * for a tier, never a vendor.
 */
import type { Tier } from '../core/plan.js';
import type { LlmConfig } from '../lib/config.js';
import { AnthropicProvider } from './anthropic-provider.js';
import { GeminiProvider } from './gemini-provider.js';
import type { Scenario } from './scenario.js';
import { ScriptedProvider } from './scripted-provider.js';
import type { ProviderName } from './tier-models.js';
import type { LlmProvider, LlmRequest, LlmResponse } from './types.js';

export class TierRouter implements LlmProvider {
  readonly name = 'tiers';

  constructor(
    private readonly routes: Record<Tier, { provider: LlmProvider; model: string }>,
    /** Roles that may search the web (the seed gives Assist and the advisors web search), when it is on. */
    private readonly webSearchRoles: ReadonlySet<LlmRequest['role']> = new Set(),
  ) {}

  complete(request: LlmRequest): Promise<LlmResponse> {
    const route = this.routes[request.tier];
    return route.provider.complete({ ...request, model: route.model, webSearch: request.webSearch ?? this.webSearchRoles.has(request.role) });
  }
}

/** One provider instance per vendor, shared by the tiers that use it. */
export function createTierRouter(config: LlmConfig, scenarios: Scenario[]): TierRouter {
  const providers = new Map<ProviderName, LlmProvider>();
  const providerFor = (name: ProviderName): LlmProvider => {
    let provider = providers.get(name);
    if (!provider) {
      if (name === 'anthropic') provider = new AnthropicProvider({ apiKey: config.anthropic.apiKey, vertex: config.anthropic.vertex, baseURL: config.anthropic.baseURL });
      else if (name === 'gemini') {
        const { vertex, apiKey, baseURL } = config.gemini;
        provider = new GeminiProvider(vertex ? { vertexai: true, ...vertex, baseURL } : { apiKey: apiKey!, baseURL });
      }
      else provider = new ScriptedProvider(scenarios);
      providers.set(name, provider);
    }
    return provider;
  };
  const route = (tier: Tier) => ({ provider: providerFor(config.tiers[tier].provider), model: config.tiers[tier].model });
  return new TierRouter(
    { A: route('A'), B: route('B'), C: route('C') },
    new Set(config.webSearch ? (['assist', 'advisor'] as const) : []),
  );
}
