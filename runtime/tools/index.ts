/**
 * The coding agent's tool set and the one entry point a tool-call activity uses. Every mistake the model can
 * make (an unknown tool, bad input, a failing call) comes back as an error outcome it can read and correct;
 * `executeTool` itself does not throw for them.
 */
import { z } from 'zod';
import { editFileTool } from './edit-file.js';
import { executeCommandTool } from './execute-command.js';
import { finishTool } from './finish.js';
import { listFilesTool } from './list-files.js';
import { readFileTool } from './read-file.js';
import { searchTool } from './search.js';
import type { ToolContext, ToolDefinition, ToolOutcome } from './types.js';
import { writeFileTool } from './write-file.js';

export { defaultToolLimits, type ToolContext, type ToolDefinition, type ToolLimits, type ToolOutcome } from './types.js';
export { minimalCommandEnv } from './command-env.js';
export { ToolError } from './tool-error.js';
export {
  assertSandboxReady,
  requireSandbox,
  SandboxUnavailableError,
  UNSANDBOXED_SETTING,
  type SandboxOptions,
  type SandboxSetting,
} from '../sandbox/index.js';

/** Every tool the coding agent may call, in the order they are offered to the model. */
export const agentTools: ReadonlyArray<ToolDefinition<unknown>> = [
  listFilesTool,
  readFileTool,
  searchTool,
  writeFileTool,
  editFileTool,
  executeCommandTool,
  finishTool,
];

/** The tool with this name, or undefined. */
export function findTool(name: string): ToolDefinition<unknown> | undefined {
  return agentTools.find((tool) => tool.name === name);
}

/** Validates the model's input for the named tool and runs it; every failure becomes an `isError` outcome. */
export async function executeTool(ctx: ToolContext, name: string, rawInput: unknown): Promise<ToolOutcome> {
  const tool = findTool(name);
  if (!tool) {
    const names = agentTools.map((t) => t.name).join(', ');
    return { output: `There is no tool named "${name}". The tools are: ${names}.`, isError: true };
  }
  const parsed = tool.input.safeParse(rawInput ?? {}, { error: requiredFieldMessage });
  if (!parsed.success) {
    return { output: `Invalid input for ${name}: ${describeIssues(parsed.error)}. Fix these fields and call ${name} again.`, isError: true };
  }
  try {
    return await tool.execute(ctx, parsed.data);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { output: `${name} failed: ${message}`, isError: true };
  }
}

/** Name, description and input JSON schema of each tool, as LLM APIs expect tool definitions. */
export function toolJsonSchemas(): Array<{ name: string; description: string; inputSchema: z.core.JSONSchema.JSONSchema }> {
  return agentTools.map((tool) => {
    // The input side, so fields with defaults stay optional for the model; $schema only adds noise to a prompt.
    const { $schema: _dialect, ...inputSchema } = z.toJSONSchema(tool.input, { io: 'input' });
    return { name: tool.name, description: tool.description, inputSchema };
  });
}

// zod says "expected string, received undefined" for a missing field; the model acts faster on "is required".
const requiredFieldMessage: z.core.$ZodErrorMap = (issue) =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined;

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : 'input';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}
