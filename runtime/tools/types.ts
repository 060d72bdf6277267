/**
 * The shapes shared by the coding agent's tools: what a tool receives (its workspace and limits), what it
 * returns to the model, and how a tool is defined (a description and a zod input the model sees as JSON schema).
 */
import type { z } from 'zod';
import type { SandboxSetting } from '../sandbox/sandbox.js';

/** Where a tool runs and how far it may go. One context per task workspace. */
export type ToolContext = {
  /** The task's workspace: a git working copy. Every path a tool touches must stay inside it. */
  root: string;
  /** Aborted when the activity running the tool is cancelled; a running command is killed. */
  signal?: AbortSignal;
  limits: ToolLimits;
  /** The complete environment of commands; when absent a minimal one is used, never the worker's own. */
  env?: Record<string, string>;
  /**
   * How `execute_command` confines commands: bubblewrap with these options, or 'unsandboxed' to run them
   * straight on the worker (only where the operator allowed it). Required, so no context forgets it: running
   * without a sandbox is always this explicit value, never an omission.
   */
  sandbox: SandboxSetting;
};

/** Bounds that keep one tool call from flooding the model's context or hanging the activity. */
export type ToolLimits = {
  maxReadBytes: number;
  maxOutputBytes: number;
  commandTimeoutMs: number;
  maxListEntries: number;
  maxSearchMatches: number;
  /** CPU seconds each process of a sandboxed command may use (RLIMIT_CPU). */
  cpuSeconds: number;
  /** Memory of a whole sandboxed command, every process and tmpfs page, where cgroups allow a cap. */
  memoryBytes: number;
  /**
   * Address space of each process of a sandboxed command (RLIMIT_AS): the memory bound where cgroups are not
   * available. Generous on purpose: V8 reserves about 10 GB of address space for any WebAssembly memory.
   */
  addressSpaceBytes: number;
  /** Processes and threads a sandboxed command may have at once. */
  maxProcesses: number;
};

export const defaultToolLimits: ToolLimits = {
  maxReadBytes: 200_000,
  maxOutputBytes: 20_000,
  commandTimeoutMs: 120_000,
  maxListEntries: 500,
  maxSearchMatches: 200,
  cpuSeconds: 600,
  memoryBytes: 4 * 1024 ** 3,
  addressSpaceBytes: 16 * 1024 ** 3,
  maxProcesses: 512,
};

/** What the model sees after a tool call. `isError` outcomes are for the model to correct, not to retry blindly. */
export type ToolOutcome = {
  output: string;
  isError: boolean;
  /** Workspace-relative paths the call wrote, so the caller can record them without diffing. */
  changedFiles?: string[];
  /** Set only by `finish`: the agent says it is done. */
  finish?: { summary: string };
};

/** One tool: its name and description and input schema go to the model; `execute` runs it. */
export type ToolDefinition<I> = {
  name: string;
  description: string;
  input: z.ZodType<I>;
  execute(ctx: ToolContext, input: I): Promise<ToolOutcome>;
};
