/**
 * The Analytics advisor's read-only tools over the project's product events and deploys. Each tool is a
 * description and a zod input (the model sees it as JSON schema) over one query in db/queries/analytics.ts;
 * the model never writes SQL. Bad input, unknown tools and failing queries come back as tool errors the model
 * can act on, and every output is capped.
 */
import { z } from 'zod';
import { advisorPlanSchema } from '../core/plan.js';
import type { Db } from '../db/client.js';
import {
  dailyCounts,
  ERROR_EVENT,
  errorRateByPlatform,
  eventNames,
  eventsAroundDeploy,
  findDeploy,
  funnel,
  lastDays,
  recentDeploys,
  type DeployRow,
} from '../db/queries/analytics.js';
import { EVENT_NAME_PATTERN } from '../db/queries/product-events.js';
import type { ToolSpec } from '../llm/types.js';

/** What the tools run against: one project, in its time zone, at one moment. */
export type AnalyticsToolContext = { db: Db; projectId: string; timezone: string; now: Date };

/** A tool outcome as the advisor's loop hands it back to the model. */
export type AdvisorToolOutcome = { output: string; isError: boolean };

/** Characters of one tool result the model sees at most. */
export const MAX_TOOL_OUTPUT = 16_000;

type AnalyticsTool<I> = {
  name: string;
  description: string;
  input: z.ZodType<I>;
  run(ctx: AnalyticsToolContext, input: I): Promise<unknown>;
};

const eventName = z.string().regex(EVENT_NAME_PATTERN, 'an event name: lowercase letters, digits and _ . : $ -').describe('An event name, e.g. signup');
const days = (max: number, fallback: number) =>
  z.number().int().min(1).max(max).default(fallback).describe(`How many days back from today, 1-${max} (default ${fallback})`);

const pct = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 100);
const iso = (d: Date | null) => d?.toISOString() ?? null;
const deployView = (d: DeployRow) => ({ id: d.id, commit: d.commit, status: d.status, startedAt: iso(d.startedAt), finishedAt: iso(d.finishedAt) });

const tool = <I>(t: AnalyticsTool<I>) => t as AnalyticsTool<unknown>;

/** Every tool the Analytics advisor may call, in the order they are offered. */
export const analyticsTools: ReadonlyArray<AnalyticsTool<unknown>> = [
  tool({
    name: 'event_names',
    description: 'The event names the product has sent recently, most frequent first, with their counts. Start here to learn what is tracked.',
    input: z.object({ days: days(365, 28) }),
    async run(ctx, input) {
      return { events: await eventNames(ctx.db, { projectId: ctx.projectId, range: await lastDays(ctx.db, { ...ctx, days: input.days }) }) };
    },
  }),
  tool({
    name: 'daily_counts',
    description: "How many times an event happened each day (days in the project's time zone, today included), optionally split by platform (web, ios, android, ...).",
    input: z.object({
      event: eventName,
      days: days(90, 28),
      byPlatform: z.boolean().default(false).describe('One count per day and platform instead of one per day'),
    }),
    async run(ctx, input) {
      const range = await lastDays(ctx.db, { ...ctx, days: input.days });
      const rows = await dailyCounts(ctx.db, { ...ctx, event: input.event, range, byPlatform: input.byPlatform });
      return { event: input.event, timezone: ctx.timezone, days: rows.map((r) => (input.byPlatform ? r : { day: r.day, count: r.count })) };
    },
  }),
  tool({
    name: 'funnel',
    description:
      'An ordered funnel: how many people did the first step in the period, then each next step after the previous one, within a window of their first step. Anonymous visitors are joined to the user they became.',
    input: z.object({
      steps: z.array(eventName).min(2).max(5).describe('The event names in order, 2-5 of them, e.g. ["page_view","signup"]'),
      days: days(90, 28),
      windowHours: z.number().int().min(1).max(720).default(24).describe('How long after the first step the others count (default 24 hours)'),
    }),
    async run(ctx, input) {
      const range = await lastDays(ctx.db, { ...ctx, days: input.days });
      const steps = await funnel(ctx.db, { projectId: ctx.projectId, steps: input.steps, range, windowMs: input.windowHours * 3_600_000 });
      const first = steps[0]?.users ?? 0;
      return { windowHours: input.windowHours, steps: steps.map((s) => ({ ...s, ofFirstPct: pct(s.users, first) })) };
    },
  }),
  tool({
    name: 'error_rate',
    description: `Each day's error rate per platform: events named "${ERROR_EVENT}" over all events of that platform that day, in percent.`,
    input: z.object({ days: days(90, 14) }),
    async run(ctx, input) {
      const rows = await errorRateByPlatform(ctx.db, { ...ctx, range: await lastDays(ctx.db, { ...ctx, days: input.days }) });
      return { timezone: ctx.timezone, days: rows.map((r) => ({ day: r.day, platform: r.platform, errors: r.errors, events: r.events, ratePct: pct(r.errors, r.events) })) };
    },
  }),
  tool({
    name: 'deploys',
    description: "The project's recent deploys, newest first, with their commit, status and when they started and finished (ISO times, UTC).",
    input: z.object({ days: days(365, 30) }),
    async run(ctx, input) {
      const rows = await recentDeploys(ctx.db, { projectId: ctx.projectId, range: await lastDays(ctx.db, { ...ctx, days: input.days }) });
      return { deploys: rows.map(deployView) };
    },
  }),
  tool({
    name: 'compare_around_deploy',
    description:
      'How an event moved around one deploy: per platform, its count and daily average in the days before the deploy went live and the days after (up to now), the change in percent, and the error rate in each window. Name the deploy by id or by (the start of) its commit.',
    input: z
      .object({
        deployId: z.guid().optional().describe('The deploy id, as the deploys tool lists it'),
        commit: z
          .string()
          .regex(/^[0-9a-fA-F]{4,40}$/, 'a commit hash or its first characters (4-40 hex digits)')
          .optional()
          .describe('The commit hash, or its first 7 or more characters'),
        event: eventName,
        days: days(30, 7).describe('Days on each side of the deploy, 1-30 (default 7)'),
      })
      .refine((i) => (i.deployId === undefined) !== (i.commit === undefined), { message: 'give exactly one of deployId or commit', path: ['deployId'] }),
    async run(ctx, input) {
      const deploy = await findDeploy(ctx.db, ctx.projectId, input.deployId ? { deployId: input.deployId } : { commit: input.commit! });
      if (!deploy) throw new Error(`no deploy of this project matches ${input.deployId ?? input.commit}; call deploys to list them`);
      const around = { projectId: ctx.projectId, deploy, days: input.days, now: ctx.now };
      const moved = await eventsAroundDeploy(ctx.db, { ...around, event: input.event });
      const errors = input.event === ERROR_EVENT ? moved : await eventsAroundDeploy(ctx.db, { ...around, event: ERROR_EVENT });
      const daysOf = (r: { from: Date; to: Date }) => Math.max((r.to.getTime() - r.from.getTime()) / 86_400_000, 1 / 24);
      const [beforeDays, afterDays] = [daysOf(moved.before), daysOf(moved.after)];
      const perDay = (n: number, d: number) => Math.round((n / d) * 100) / 100;
      return {
        deploy: deployView(deploy),
        event: input.event,
        wentLiveAt: moved.at.toISOString(),
        windowDays: { before: Math.round(beforeDays * 100) / 100, after: Math.round(afterDays * 100) / 100 },
        platforms: moved.platforms.map((p) => {
          const e = errors.platforms.find((x) => x.platform === p.platform);
          const [b, a] = [perDay(p.before, beforeDays), perDay(p.after, afterDays)];
          return {
            platform: p.platform,
            before: p.before,
            after: p.after,
            perDayBefore: b,
            perDayAfter: a,
            changePct: b === 0 ? null : Math.round(((a - b) / b) * 1_000) / 10,
            errorRateBeforePct: pct(e?.before ?? 0, p.beforeTotal),
            errorRateAfterPct: pct(e?.after ?? 0, p.afterTotal),
          };
        }),
      };
    },
  }),
];

/** Name, description and input JSON schema of each tool, as LLM APIs expect them. */
export function analyticsToolSpecs(): ToolSpec[] {
  return analyticsTools.map((t) => {
    const { $schema: _dialect, ...inputSchema } = z.toJSONSchema(t.input, { io: 'input' });
    return { name: t.name, description: t.description, inputSchema };
  });
}

/** Validates the model's input for the named tool and runs it; every failure becomes an `isError` outcome. */
export async function runAnalyticsTool(ctx: AnalyticsToolContext, name: string, rawInput: unknown): Promise<AdvisorToolOutcome> {
  const t = analyticsTools.find((x) => x.name === name);
  if (!t) return { output: `There is no tool named "${name}". The tools are: ${analyticsTools.map((x) => x.name).join(', ')}.`, isError: true };
  const parsed = t.input.safeParse(rawInput ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
    return { output: `Invalid input for ${name}: ${issues}. Fix these fields and call ${name} again.`, isError: true };
  }
  try {
    const output = JSON.stringify(await t.run(ctx, parsed.data));
    if (output.length <= MAX_TOOL_OUTPUT) return { output, isError: false };
    return { output: `${output.slice(0, MAX_TOOL_OUTPUT)}… (cut at ${MAX_TOOL_OUTPUT} characters: ask for fewer days or no platform split)`, isError: false };
  } catch (error) {
    return { output: `${name} failed: ${error instanceof Error ? error.message : String(error)}`, isError: true };
  }
}

/**
 * What the Analytics advisor answers after its tools: its finding in `summary` (the numbers, the deploy and its
 * commit), and tasks only when something should be built; a pure data question has none.
 */
export const analyticsFindingSchema = advisorPlanSchema.extend({
  tasks: z.array(advisorPlanSchema.shape.tasks.element).max(25).default([]),
});
