import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, projectRoot } from './config.js';

describe('loadConfig', () => {
  it('gives embedded defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.home).toBe(path.join(projectRoot, '.vibn'));
    expect(config.database.url).toBeUndefined();
    expect(config.temporal).toMatchObject({ address: undefined, namespace: 'default', taskQueue: 'vibn', devPort: 7233, uiPort: 8233 });
    expect(config.api).toEqual({ host: '127.0.0.1', port: 3000 });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', TEMPORAL_ADDRESS: ' ' }).database.url).toBeUndefined();
  });

  it('names the variable that does not parse', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL: must be a postgres/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('plays scripts on every tier when no model key is set, and says why', () => {
    const { llm } = loadConfig({});
    expect(llm.tiers).toEqual({ A: { provider: 'scripted', model: 'scenarios' }, B: { provider: 'scripted', model: 'scenarios' }, C: { provider: 'scripted', model: 'scenarios' } });
    expect(llm.scriptedBecause).toMatch(/no model keys/);
  });

  it('uses the seed tiers with keys, and each tier can be overridden as provider:model', () => {
    const { llm } = loadConfig({ ANTHROPIC_API_KEY: 'a', GEMINI_API_KEY: 'g', TIER_C_MODEL: 'anthropic:claude-x:2026' });
    expect(llm.tiers.A).toEqual({ provider: 'gemini', model: 'gemini-2.5-flash' });
    expect(llm.tiers.B).toEqual({ provider: 'anthropic', model: 'claude-sonnet-4-6' });
    expect(llm.tiers.C).toEqual({ provider: 'anthropic', model: 'claude-x:2026' });
    expect(llm.scriptedBecause).toBeUndefined();
  });

  it('refuses to start when a configured tier has no key for its vendor', () => {
    expect(() => loadConfig({ ANTHROPIC_API_KEY: 'a' })).toThrow(/TIER_A_MODEL=gemini:gemini-2.5-flash needs GEMINI_API_KEY/);
    expect(() => loadConfig({ TIER_B_MODEL: 'openai:gpt' })).toThrow(/TIER_B_MODEL/);
  });

  it('reads budgets and extra prices', () => {
    const config = loadConfig({ REQUEST_BUDGET_USD: '2.5', LLM_PRICES: '{"m":{"inputPerMTok":1,"outputPerMTok":2,"cachedPerMTok":0.1}}' });
    expect(config.budgets).toEqual({ requestUsd: 2.5, projectMonthlyUsd: 100 });
    expect(config.llm.prices.m).toEqual({ inputPerMTok: 1, outputPerMTok: 2, cachedPerMTok: 0.1 });
    expect(() => loadConfig({ LLM_PRICES: 'nope' })).toThrow(/LLM_PRICES: must be JSON/);
  });

  it('runs Claude on Vertex AI with a Google Cloud project instead of an Anthropic key', () => {
    const { llm } = loadConfig({ ANTHROPIC_VERTEX_PROJECT_ID: 'acme-prod', TIER_A_MODEL: 'anthropic:claude-haiku' });
    expect(llm.anthropic.vertex).toEqual({ projectId: 'acme-prod', region: 'us-east5' });
    expect(llm.tiers.A).toEqual({ provider: 'anthropic', model: 'claude-haiku' });
    expect(llm.scriptedBecause).toBeUndefined();
  });

  it('runs Gemini on Vertex AI with a Google Cloud project instead of a Gemini key', () => {
    const { llm } = loadConfig({ ANTHROPIC_API_KEY: 'a', GEMINI_VERTEX_PROJECT_ID: 'acme-prod' });
    expect(llm.gemini.vertex).toEqual({ project: 'acme-prod', location: 'us-central1' });
    expect(llm.tiers.A).toEqual({ provider: 'gemini', model: 'gemini-2.5-flash' });
  });
});
