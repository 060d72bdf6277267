import { z } from 'zod';
import { CommandsRefusedError } from '../sandbox/commands-refused.js';
import { describeLimitsHit, requireSandbox, runSandboxed, type SandboxedRun } from '../sandbox/sandbox.js';
import { minimalCommandEnv } from './command-env.js';
import { runCommand } from './run-command.js';
import type { ToolDefinition } from './types.js';

const input = z.object({
  command: z.string().min(1).describe('A bash command line, run in the workspace root, for example "npm test" or "git status".'),
  timeout_seconds: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Seconds before the command is killed. Defaults to, and cannot exceed, the workspace limit (usually 120).'),
});

/** Runs a shell command in the workspace and reports its exit code and output; a failing command is an error outcome. */
export const executeCommandTool: ToolDefinition<z.infer<typeof input>> = {
  name: 'execute_command',
  description:
    'Run a bash command in the workspace root and get its exit code and combined output (long output keeps the ' +
    'beginning and the end). Nothing can be typed into it, so use non-interactive flags. Background processes ' +
    'are stopped when the command ends; to try a server, start it and query it within the same command. ' +
    'Commands may run in a sandbox: then only the workspace and /tmp can be written, HOME starts empty, .git is ' +
    'read-only, and the network (including localhost services outside the command) may be unreachable.',
  input,
  async execute(ctx, { command, timeout_seconds: requestedSeconds }) {
    const limitMs = ctx.limits.commandTimeoutMs;
    const timeoutMs = Math.min(requestedSeconds === undefined ? limitMs : requestedSeconds * 1000, limitMs);
    const runOptions = {
      cwd: ctx.root,
      env: ctx.env ?? minimalCommandEnv(),
      timeoutMs,
      maxOutputBytes: ctx.limits.maxOutputBytes,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    };
    // The type requires a sandbox; a context built around it (a cast, plain JavaScript) still gets the default
    // sandbox, never none.
    const sandbox = requireSandbox(ctx.sandbox);
    let run: SandboxedRun;
    if (sandbox === 'unsandboxed') {
      run = await runCommand(command, runOptions);
    } else {
      try {
        run = await runSandboxed(command, { ...runOptions, sandbox, limits: ctx.limits });
      } catch (error) {
        if (error instanceof CommandsRefusedError) return { output: error.message, isError: true };
        throw error;
      }
    }
    const limitNote = describeLimitsHit(run.limitsHit, ctx.limits);
    if (limitNote !== undefined) run.output = `${limitNote}\n${run.output}`;
    if (run.stopped === 'timeout') {
      return { output: `timed out after ${timeoutMs / 1000}s and was killed\n${run.output}`, isError: true };
    }
    if (run.stopped === 'cancelled') return { output: `cancelled and killed\n${run.output}`, isError: true };
    if (run.startError !== undefined) return { output: `could not run the command: ${run.startError}`, isError: true };
    const status = run.exitCode !== undefined ? `exit code: ${run.exitCode}` : `killed by signal ${run.signal}`;
    return { output: `${status}\n${run.output}`, isError: run.exitCode !== 0 };
  },
};
