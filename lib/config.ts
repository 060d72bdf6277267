/**
 * The one place that reads the environment. Everything else receives a `Config`.
 * Parsing fails at start with a message naming the variable, never mid-request.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { TIERS, type Tier } from '../core/plan.js';
import { DEFAULT_PRICES, priceTableSchema, type PriceTable } from '../llm/pricing.js';
import { DEFAULT_TIER_MODELS, tierModelSchema, type TierModel } from '../llm/tier-models.js';
import { parseDuration } from './duration.js';
import type { RequestSettings } from '../workflows/request-contract.js';

/** The checkout's root folder, found from this file's location rather than the working directory. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const port = z.coerce.number().int().min(0).max(65535);
const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** A duration setting (`90s`, `2m`, `1h`), in milliseconds, within bounds; unset or empty takes `fallback`. */
const duration = (fallback: string, bounds: { minMs: number; maxMs: number }) =>
  optionalText.transform((value, ctx) => {
    const ms = parseDuration(value ?? fallback);
    if (ms === undefined) ctx.addIssue({ code: 'custom', message: 'must be a duration such as 90s, 2m or 1h' });
    else if (ms < bounds.minMs || ms > bounds.maxMs) ctx.addIssue({ code: 'custom', message: `must be between ${bounds.minMs / 1000}s and ${bounds.maxMs / 1000}s` });
    else return ms;
    return z.NEVER;
  });

/**
 * Temporal refuses a deployment name with `.` or `:` (they separate it from the build id) or starting with `__`;
 * both names also go into operators' CLI commands, so they stay to plain characters.
 */
const deploymentName = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, { message: 'must be 1 to 100 letters, digits, - or _' });
const buildId = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/, { message: 'must be 1 to 100 letters, digits, ., +, - or _' });

const envSchema = z.object({
  VIBN_HOME: optionalText,
  DATABASE_URL: optionalText.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
    message: 'must be a postgres:// or postgresql:// URL',
  }),
  VIBN_PG_PORT: port.default(5433),
  TEMPORAL_ADDRESS: optionalText,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('vibn'),
  TEMPORAL_CLI_PATH: optionalText,
  VIBN_TOOLS_DIR: optionalText,
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_UI_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3000),
  VIBN_ADMIN_TOKEN: optionalText.pipe(z.string().min(16, { message: 'must be at least 16 characters' }).optional()),
  VIBN_CORS_ORIGINS: optionalText.pipe(
    z
      .string()
      .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, { message: 'each origin must be scheme://host[:port], no path' })))
      .optional(),
  ),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
  WRONG_TOKEN_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(20),
  VIBN_DEMO_PORT: port.default(3001),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  CONFIRM_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(30 * 24 * 3600).default(7 * 24 * 3600),
  MAX_PARALLEL_TASKS: z.coerce.number().int().min(1).max(20).default(3),
  AGENT_MAX_STEPS: z.coerce.number().int().min(1).max(500).default(40),
  AGENT_MAX_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(30),
  ANTHROPIC_API_KEY: optionalText,
  ANTHROPIC_BASE_URL: optionalText.pipe(z.url().optional()),
  ANTHROPIC_VERTEX_PROJECT_ID: optionalText,
  ANTHROPIC_VERTEX_REGION: z.string().min(1).default('us-east5'),
  GEMINI_API_KEY: optionalText,
  GEMINI_VERTEX_PROJECT_ID: optionalText,
  GEMINI_VERTEX_LOCATION: z.string().min(1).default('us-central1'),
  GEMINI_BASE_URL: optionalText.pipe(z.url().optional()),
  TIER_A_MODEL: optionalText.pipe(tierModelSchema.optional()),
  TIER_B_MODEL: optionalText.pipe(tierModelSchema.optional()),
  TIER_C_MODEL: optionalText.pipe(tierModelSchema.optional()),
  WEB_SEARCH: z.enum(['on', 'off']).default('off'),
  LLM_PRICES: optionalText.pipe(
    z
      .string()
      .transform((v, ctx) => {
        try {
          return JSON.parse(v) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be JSON' });
          return z.NEVER;
        }
      })
      .pipe(priceTableSchema)
      .optional(),
  ),
  VIBN_UNSANDBOXED: z.enum(['0', '1', 'false', 'true']).default('0'),
  VIBN_UNBOUNDED: z.enum(['0', '1', 'false', 'true']).default('0'),
  VIBN_PROJECT_DISK_GB: z.coerce.number().min(0.0625).max(100_000).default(10),
  WORKSPACE_IDLE_MINUTES: z.coerce.number().int().min(1).max(30 * 24 * 60).default(120),
  WORKER_MAX_ACTIVITIES: z.coerce.number().int().min(1).max(500).default(16),
  WORKER_DB_POOL_SIZE: z.coerce.number().int().min(2).max(500).default(40),
  VIBN_WORKER_SHUTDOWN_GRACE: duration('2m', { minMs: 0, maxMs: 24 * 3_600_000 }),
  VIBN_WORKER_SHUTDOWN_FORCE: duration('30s', { minMs: 1_000, maxMs: 3_600_000 }),
  VIBN_WORKER_VERSIONING: z.enum(['on', 'off']).default('on'),
  VIBN_WORKER_DEPLOYMENT: optionalText.pipe(deploymentName.optional()),
  VIBN_BUILD_ID: optionalText.pipe(buildId.optional()),
  VIBN_WORKER_PROMOTE: z.enum(['0', '1', 'false', 'true']).default('1'),
  TERMINAL_IDLE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
  VIBN_CONSOLE_DIR: z.string().min(1).optional(),
  REQUEST_BUDGET_USD: z.coerce.number().min(0).max(100_000).default(5),
  PROJECT_MONTHLY_BUDGET_USD: z.coerce.number().min(0).max(1_000_000).default(100),
  SMTP_URL: optionalText.pipe(z.url({ protocol: /^smtps?$/, message: 'must be an smtp:// or smtps:// URL' }).optional()),
  SMTP_FROM: z.string().trim().min(3).default('VIBN <vibn@localhost>'),
});

export type Config = {
  /** State folder: dev server database, embedded Postgres, workspaces, generated secrets. */
  home: string;
  /** Where the Temporal CLI is built or looked for, outside the checkout so clones share one build. */
  toolsDir: string;
  database: { url?: string; embeddedPort: number };
  temporal: {
    address?: string;
    namespace: string;
    taskQueue: string;
    cliPath?: string;
    devPort: number;
    uiPort: number;
    /** Base URL of the Temporal Web UI, for links from a conversation to its workflow. */
    uiUrl: string;
  };
  api: { host: string; port: number };
  /** The API's admin bearer token; `npm start` generates one when unset, `npm run api` requires it. */
  adminToken?: string;
  /**
   * Browser origins allowed to call the API (none: same-origin only), requests per token per minute, and wrong
   * tokens per address per minute.
   */
  http: { corsOrigins: string[]; rateLimitPerMinute: number; wrongTokenLimitPerMinute: number };
  /** Run agent commands without bubblewrap: only for machines that cannot have it, and said loudly. */
  unsandboxed: boolean;
  /** Run commands without cgroup memory, process and CPU bounds where they cannot be applied, instead of refusing them. */
  unbounded: boolean;
  /** The size of each project's own disk (its workspace: clone, worktrees, caches, the sandbox's home). */
  projectDiskBytes: number;
  /** A project workspace unused this long is removed and re-cloned on demand (the cold tier). */
  workspaceIdleMs: number;
  /**
   * Activities one worker runs at once, and its Postgres pool. An activity can hold two connections (the
   * workspace lock's transaction and a query inside it), so the pool is sized well above twice the activities.
   */
  worker: WorkerConfig;
  /** A console terminal with neither input nor output this long is closed. */
  terminalIdleMs: number;
  /** The built web console the API serves at / (console/dist unless set). */
  consoleDir: string;
  /** Where `npm start` serves the demo project's deployed site. */
  demoSitePort: number;
  /** Limits every founder request runs under; passed into each workflow at start. */
  requests: RequestSettings;
  llm: LlmConfig;
  /** Money a request, and a project in a calendar month, may spend on models before the founder is asked. */
  budgets: Budgets;
  /** Email notifications: the SMTP server (none: no email is sent) and the sender. */
  mail: MailConfig;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /** JSON for machines; pretty lines when a person watches a terminal. */
  logFormat: 'json' | 'pretty';
};

/** Thrown when an environment variable does not parse; the message names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type WorkerConfig = {
  maxActivities: number;
  dbPoolSize: number;
  /** After SIGTERM, how long in-flight activities (model turns, commands, deploys) get to finish before they are cancelled. */
  shutdownGraceMs: number;
  /** After the grace, how long cancelled activities get to stop before the worker gives up on them and exits. */
  shutdownForceMs: number;
  /** Worker Versioning (docs/rolling-upgrade.md); absent when VIBN_WORKER_VERSIONING=off. */
  versioning?: WorkerVersioningConfig;
};

export type WorkerVersioningConfig = {
  /** The Worker Deployment every build of this product's workers belongs to. */
  deploymentName: string;
  /** Set by the operator; otherwise derived from the workflow bundle at start (workers/workflow-build.ts). */
  buildId?: string;
  /** Whether a new build makes itself the deployment's current version once it polls. */
  promote: boolean;
};

export type Budgets = { requestUsd: number; projectMonthlyUsd: number };

/** Where notification emails go out; without `smtpUrl`, notifications stay in the app. */
export type MailConfig = { smtpUrl?: string; from: string };

export type LlmConfig = {
  tiers: Record<Tier, TierModel>;
  /** Why every tier plays scripts instead of calling a model, when that is the case. */
  scriptedBecause?: string;
  /** Direct API key, or Claude on Vertex AI in a Google Cloud project (application default credentials). */
  anthropic: { apiKey?: string; baseURL?: string; vertex?: { projectId: string; region: string } };
  /** Direct API key, or Gemini on Vertex AI in a Google Cloud project (application default credentials). */
  gemini: { apiKey?: string; baseURL?: string; vertex?: { project: string; location: string } };
  webSearch: boolean;
  prices: PriceTable;
};

const KEY_FOR: Record<string, 'ANTHROPIC_API_KEY' | 'GEMINI_API_KEY'> = { anthropic: 'ANTHROPIC_API_KEY', gemini: 'GEMINI_API_KEY' };

/**
 * Which model serves each tier. With no key and no tier configured, every tier is scripted (the offline
 * demo). Otherwise each configured tier's vendor must have its key: a missing one stops the start, not a
 * request halfway.
 */
function resolveLlmConfig(e: z.infer<typeof envSchema>): LlmConfig {
  const configured = { A: e.TIER_A_MODEL, B: e.TIER_B_MODEL, C: e.TIER_C_MODEL };
  const base = {
    anthropic: {
      apiKey: e.ANTHROPIC_API_KEY,
      baseURL: e.ANTHROPIC_BASE_URL,
      vertex: e.ANTHROPIC_VERTEX_PROJECT_ID ? { projectId: e.ANTHROPIC_VERTEX_PROJECT_ID, region: e.ANTHROPIC_VERTEX_REGION } : undefined,
    },
    gemini: {
      apiKey: e.GEMINI_API_KEY,
      baseURL: e.GEMINI_BASE_URL,
      vertex: e.GEMINI_VERTEX_PROJECT_ID ? { project: e.GEMINI_VERTEX_PROJECT_ID, location: e.GEMINI_VERTEX_LOCATION } : undefined,
    },
    webSearch: e.WEB_SEARCH === 'on',
    prices: { ...DEFAULT_PRICES, ...e.LLM_PRICES },
  };
  const vertex = Boolean(e.ANTHROPIC_VERTEX_PROJECT_ID || e.GEMINI_VERTEX_PROJECT_ID);
  if (!e.ANTHROPIC_API_KEY && !e.GEMINI_API_KEY && !vertex && !Object.values(configured).some(Boolean)) {
    const scripted: TierModel = { provider: 'scripted', model: 'scenarios' };
    return { ...base, tiers: { A: scripted, B: scripted, C: scripted }, scriptedBecause: 'no model keys are set (ANTHROPIC_API_KEY, GEMINI_API_KEY)' };
  }
  const tiers = Object.fromEntries(
    TIERS.map((tier) => [tier, configured[tier] ?? tierModelSchema.parse(DEFAULT_TIER_MODELS[tier])]),
  ) as Record<Tier, TierModel>;
  const missing = TIERS.filter((tier) => {
    const key = KEY_FOR[tiers[tier].provider];
    // Claude on Vertex needs no Anthropic key, only its Google Cloud project.
    if (tiers[tier].provider === 'anthropic' && e.ANTHROPIC_VERTEX_PROJECT_ID) return false;
    if (tiers[tier].provider === 'gemini' && e.GEMINI_VERTEX_PROJECT_ID) return false;
    return key && !e[key];
  }).map((tier) => `TIER_${tier}_MODEL=${tiers[tier].provider}:${tiers[tier].model} needs ${KEY_FOR[tiers[tier].provider]}`);
  if (missing.length) throw new ConfigError(`Invalid configuration: ${missing.join('; ')}`);
  return { ...base, tiers };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    home: path.resolve(e.VIBN_HOME ?? path.join(projectRoot, '.vibn')),
    toolsDir: path.resolve(e.VIBN_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'vibn', 'bin')),
    database: { url: e.DATABASE_URL, embeddedPort: e.VIBN_PG_PORT },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      cliPath: e.TEMPORAL_CLI_PATH,
      devPort: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      uiUrl: (e.TEMPORAL_UI_URL ?? `http://127.0.0.1:${e.TEMPORAL_UI_PORT}`).replace(/\/+$/, ''),
    },
    api: { host: e.HOST, port: e.PORT },
    adminToken: e.VIBN_ADMIN_TOKEN,
    http: { corsOrigins: e.VIBN_CORS_ORIGINS ?? [], rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE, wrongTokenLimitPerMinute: e.WRONG_TOKEN_LIMIT_PER_MINUTE },
    demoSitePort: e.VIBN_DEMO_PORT,
    workspaceIdleMs: e.WORKSPACE_IDLE_MINUTES * 60_000,
    unsandboxed: e.VIBN_UNSANDBOXED === '1' || e.VIBN_UNSANDBOXED === 'true',
    unbounded: e.VIBN_UNBOUNDED === '1' || e.VIBN_UNBOUNDED === 'true',
    projectDiskBytes: Math.round(e.VIBN_PROJECT_DISK_GB * 1024 ** 3),
    worker: {
      maxActivities: e.WORKER_MAX_ACTIVITIES,
      dbPoolSize: e.WORKER_DB_POOL_SIZE,
      shutdownGraceMs: e.VIBN_WORKER_SHUTDOWN_GRACE,
      shutdownForceMs: e.VIBN_WORKER_SHUTDOWN_FORCE,
      versioning:
        e.VIBN_WORKER_VERSIONING === 'off'
          ? undefined
          : { deploymentName: e.VIBN_WORKER_DEPLOYMENT ?? 'vibn', buildId: e.VIBN_BUILD_ID, promote: e.VIBN_WORKER_PROMOTE === '1' || e.VIBN_WORKER_PROMOTE === 'true' },
    },
    terminalIdleMs: e.TERMINAL_IDLE_MINUTES * 60_000,
    consoleDir: path.resolve(e.VIBN_CONSOLE_DIR ?? path.join(projectRoot, 'console', 'dist')),
    requests: {
      confirmTimeoutMs: e.CONFIRM_TIMEOUT_SECONDS * 1000,
      maxParallelTasks: e.MAX_PARALLEL_TASKS,
      agentMaxSteps: e.AGENT_MAX_STEPS,
      agentMaxWallMs: e.AGENT_MAX_MINUTES * 60_000,
    },
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
    llm: resolveLlmConfig(e),
    budgets: { requestUsd: e.REQUEST_BUDGET_USD, projectMonthlyUsd: e.PROJECT_MONTHLY_BUDGET_USD },
    mail: { smtpUrl: e.SMTP_URL, from: e.SMTP_FROM },
  };
}
