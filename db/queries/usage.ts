import { sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { llmCalls } from '../schema.js';

export type UsageRow = {
  day: string;
  tier: string;
  model: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costUsd: number;
};

/** A project's model spending by day (UTC), tier and model, newest day first, over the last `days` days. */
export async function projectUsage(db: Db, projectId: string, days: number): Promise<UsageRow[]> {
  const { rows } = await db.execute<Record<string, string>>(sql`
    select to_char(date_trunc('day', created_at at time zone 'UTC'), 'YYYY-MM-DD') as day, tier, model,
           count(*) as calls, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens,
           sum(cached_tokens) as cached_tokens, sum(cost_usd) as cost_usd
      from ${llmCalls}
     where project_id = ${projectId} and created_at >= now() - make_interval(days => ${days})
     group by 1, 2, 3
     order by 1 desc, 2, 3`);
  return rows.map((r) => ({
    day: r.day!,
    tier: r.tier!,
    model: r.model!,
    calls: Number(r.calls),
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
    cachedTokens: Number(r.cached_tokens),
    costUsd: Number(r.cost_usd),
  }));
}
