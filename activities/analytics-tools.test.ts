import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { seedAnalyticsData, type GeneratedAnalytics } from '../demo/analytics-data.js';
import { insertProductEvents } from '../db/queries/product-events.js';
import { projects } from '../db/schema.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { analyticsToolSpecs, MAX_TOOL_OUTPUT, runAnalyticsTool, type AnalyticsToolContext } from './analytics-tools.js';

describe("the Analytics advisor's tools", () => {
  let database: TestDatabase;
  let ctx: AnalyticsToolContext;
  let data: GeneratedAnalytics;
  const now = new Date('2026-03-01T12:00:00Z');

  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    const [row] = await database.db.insert(projects).values({ name: 'demo', repoUrl: '/srv/git/demo.git' }).returning({ id: projects.id });
    data = await seedAnalyticsData(database.db, row!.id, { seed: 3, end: now, scale: 0.3 });
    ctx = { db: database.db, projectId: row!.id, timezone: 'UTC', now };
  });
  afterAll(() => database?.drop());

  it('offers each tool with a JSON schema whose fields are described', () => {
    const specs = analyticsToolSpecs();
    expect(specs.map((s) => s.name)).toEqual(['event_names', 'daily_counts', 'funnel', 'error_rate', 'deploys', 'compare_around_deploy']);
    const daily = specs.find((s) => s.name === 'daily_counts')!.inputSchema as { properties: Record<string, { description?: string }>; required?: string[] };
    expect(daily.required).toEqual(['event']);
    expect(Object.values(daily.properties).every((p) => p.description)).toBe(true);
  });

  it('answers unknown tools and bad arguments as errors the model can act on', async () => {
    expect(await runAnalyticsTool(ctx, 'run_sql', { sql: 'select 1' })).toEqual({ isError: true, output: expect.stringMatching(/no tool named "run_sql".*daily_counts/) });
    expect(await runAnalyticsTool(ctx, 'daily_counts', { event: 'Sign Up', days: 500 })).toEqual({
      isError: true,
      output: expect.stringMatching(/event: an event name.*days: .*90.*call daily_counts again/),
    });
    expect(await runAnalyticsTool(ctx, 'compare_around_deploy', { event: 'signup' })).toMatchObject({ isError: true, output: expect.stringMatching(/exactly one of deployId or commit/) });
    expect(await runAnalyticsTool(ctx, 'compare_around_deploy', { event: 'signup', commit: 'ffffffff' })).toMatchObject({ isError: true, output: expect.stringMatching(/no deploy .* matches ffffffff; call deploys/) });
    expect(await runAnalyticsTool(ctx, 'funnel', null)).toMatchObject({ isError: true, output: expect.stringMatching(/steps/) });
  });

  it('finds the deploy after which mobile signups fell, with its commit', async () => {
    const listed = JSON.parse((await runAnalyticsTool(ctx, 'deploys', { days: 30 })).output);
    expect(listed.deploys.map((d: { commit: string }) => d.commit)).toContain(data.culprit.commit);
    const result = await runAnalyticsTool(ctx, 'compare_around_deploy', { commit: data.culprit.commit.slice(0, 7), event: 'signup' });
    expect(result.isError).toBe(false);
    const compared = JSON.parse(result.output);
    expect(compared.deploy.commit).toBe(data.culprit.commit);
    const by = (p: string) => compared.platforms.find((x: { platform: string }) => x.platform === p);
    expect(by('ios').changePct).toBeLessThan(-50);
    expect(by('android').changePct).toBeLessThan(-50);
    expect(by('web').changePct).toBeGreaterThan(-30);
    expect(by('ios').errorRateAfterPct).toBeGreaterThan(by('ios').errorRateBeforePct + 3);
  });

  it('caps what one call returns', async () => {
    const small = await runAnalyticsTool(ctx, 'daily_counts', { event: 'signup', days: 7, byPlatform: true });
    expect(JSON.parse(small.output).days).toHaveLength(21);
    // Sixty platforms times ninety days is far more than a model should read at once.
    const platforms = Array.from({ length: 60 }, (_, i) => ({ eventId: `many-${i}`, name: 'signup', platform: `tv${i}`, occurredAt: new Date(now.getTime() - 3_600_000) }));
    await insertProductEvents(database.db, ctx.projectId, platforms);
    const { output, isError } = await runAnalyticsTool(ctx, 'daily_counts', { event: 'signup', days: 90, byPlatform: true });
    expect(isError).toBe(false);
    expect(output.length).toBeLessThanOrEqual(MAX_TOOL_OUTPUT + 200);
    expect(output).toMatch(/cut at 16000 characters: ask for fewer days or no platform split\)$/);
  });
});
