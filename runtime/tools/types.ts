/**
 * The shapes shared by the coding agent's tools: what a tool receives (its workspace and limits), what it
 * returns to the model, and how a tool is defined (a description and a zod input the model sees as JSON schema).
 */
import type { z } from 'zod';

/** Where a tool runs and how far it may go. One context per task workspace. */
export type ToolContext = {
  /** The task's workspace: a git working copy. Every path a tool touches must stay inside it. */
  root: string;
  /** Aborted when the activity running the tool is cancelled; a running command is killed. */
  signal?: AbortSignal;
  limits: ToolLimits;
  /** The complete environment of commands; when absent a minimal one is used, never the worker's own. */
  env?: Record<string, string>;
};

/** Bounds that keep one tool call from flooding the model's context or hanging the activity. */
export type ToolLimits = {
  maxReadBytes: number;
  maxOutputBytes: number;
  commandTimeoutMs: number;
  maxListEntries: number;
  maxSearchMatches: number;
};

export const defaultToolLimits: ToolLimits = {
  maxReadBytes: 200_000,
  maxOutputBytes: 20_000,
  commandTimeoutMs: 120_000,
  maxListEntries: 500,
  maxSearchMatches: 200,
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
