import type { DiskSetting } from '../runtime/workspace/project-disk.js';
import type { Db } from '../db/client.js';
import type { MailConfig } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { LlmProvider } from '../llm/types.js';
import type { ToolContext } from '../runtime/tools/index.js';
import type { ModelSettings } from './model-caller.js';

/** What every activity factory may receive; tests build these from real Postgres and a scripted provider. */
export type ActivityDeps = {
  db: Db;
  llm: LlmProvider;
  /** State folder: workspaces, deployed demo sites. */
  home: string;
  log: Logger;
  /** Prices and budgets every model call is accounted against. */
  modelSettings: ModelSettings;
  /**
   * What every agent command runs under, by worktree: the sandbox always (running without one is the explicit
   * 'unsandboxed'), and optionally other context such as limits.
   */
  toolContext: (workdir: string, project: { allowNetwork: boolean }) => CommandSetup;
  /** The SMTP server notifications are emailed through; absent (or without `smtpUrl`): no email is sent. */
  mail?: MailConfig;
  /** Each project's disk: its size, or 'unbounded' where the operator opted out. Default: a bounded disk. */
  disk?: DiskSetting;
};

/** What a worker decides for an agent command's context: its sandbox, and anything else it wants to set. */
export type CommandSetup = Pick<ToolContext, 'sandbox'> & Partial<Omit<ToolContext, 'sandbox'>>;

/** A provider bound to one request's accounting and budget (see model-caller.ts). */
export type ModelFor = (context: { projectId: string; conversationId: string; sessionId?: string }) => LlmProvider;
