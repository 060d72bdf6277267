/**
 * A scenario is a script for the scripted provider: what each role answers, turn by turn, for founder
 * requests that match it. Scenarios drive the offline demo and the tests; they are never shown as model output.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../lib/config.js';
import { advisorPlanSchema, assistReplySchema, followUpSchema, TIERS } from '../core/plan.js';
import { memoryUpdateSchema } from '../core/memory.js';
import { taskGraphSchema } from '../core/task-graph.js';

export const agentStepSchema = z.object({
  /** Text the agent says before (or instead of) calling a tool. */
  say: z.string().optional(),
  tool: z.string().optional(),
  input: z.unknown().optional(),
  /** Simulated thinking time, for benchmarks and for tests that need a task to be mid-flight. */
  delayMs: z.number().int().min(0).max(600_000).optional(),
});
export type AgentStep = z.infer<typeof agentStepSchema>;

const stepsSchema = z.array(agentStepSchema);
/** Either one script for every tier, or one per tier (to script a task that fails on A and succeeds on B). */
const agentScriptSchema = z.union([stepsSchema, z.partialRecord(z.enum(TIERS), stepsSchema)]);

const oneOrMany = <T extends z.ZodType>(schema: T) => z.union([schema, z.array(schema)]);

export const scenarioSchema = z.object({
  name: z.string().min(1),
  /** Case-insensitive regular expression tested against the founder's request. */
  match: z.string().min(1),
  /** Assist's replies in order; a reply may be any JSON (to script invalid output) but normally an AssistReply. */
  assist: z.array(z.union([assistReplySchema, z.record(z.string(), z.unknown())])).min(1),
  /** Simulated thinking time before each Assist reply, for tests that act while Assist is still working. */
  assistDelayMs: z.number().int().min(0).max(600_000).optional(),
  advisors: z.partialRecord(z.enum(['code', 'growth', 'analytics']), oneOrMany(z.union([advisorPlanSchema, z.record(z.string(), z.unknown())]))).default({}),
  /** Tool calls an advisor makes, one a turn, before it answers with its plan (e.g. the analytics advisor's queries). */
  advisorTools: z.partialRecord(z.enum(['code', 'growth', 'analytics']), stepsSchema).default({}),
  /** The orchestrator's graphs, one per attempt (a bad first graph scripts the re-ask). */
  orchestrator: z.array(z.union([taskGraphSchema, z.record(z.string(), z.unknown())])).default([]),
  agents: z.record(z.string(), agentScriptSchema).default({}),
  followUp: followUpSchema.optional(),
  /** What the memory step keeps after a conversation of this scenario; absent: nothing. */
  memory: z.union([memoryUpdateSchema, z.record(z.string(), z.unknown())]).optional(),
});
export type Scenario = z.infer<typeof scenarioSchema>;

export const SCENARIOS_DIR = path.join(projectRoot, 'llm', 'scenarios');

/** Loads and validates every scenario file in a folder, in file-name order. */
export async function loadScenarios(dir = SCENARIOS_DIR): Promise<Scenario[]> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => {
      const parsed = scenarioSchema.safeParse(JSON.parse(await fs.readFile(path.join(dir, file), 'utf8')));
      if (!parsed.success) throw new Error(`Scenario ${file} is invalid: ${z.prettifyError(parsed.error)}`);
      return parsed.data;
    }),
  );
}
