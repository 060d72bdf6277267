import type { Db } from '../db/client.js';
import type { Logger } from '../lib/logger.js';
import type { LlmProvider } from '../llm/types.js';

/** What every activity factory may receive; tests build these from real Postgres and a scripted provider. */
export type ActivityDeps = {
  db: Db;
  llm: LlmProvider;
  /** State folder: workspaces, deployed demo sites. */
  home: string;
  log: Logger;
};
