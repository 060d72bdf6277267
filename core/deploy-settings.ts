import { z } from 'zod';

const oneLine = (v: string) => !/[\u0000-\u001f\u007f]/.test(v);

const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2_000);

/** Where the deployed product can be opened, shown to the founder. */
const siteUrl = httpUrl.optional();

/**
 * Remote deploys must end inside the deploy activity's 30-minute start-to-close timeout, with room to record
 * the verdict; a longer setting could never be honoured.
 */
export const MAX_REMOTE_DEPLOY_TIMEOUT_SECONDS = 1_500;

/**
 * How a project deploys: run a command on this machine (the embedded default), ask a Coolify instance, call a
 * webhook, or not at all. The API validates what it stores with this schema and the deploy activity reads it
 * back with the same one. Secrets are never here: the Coolify token and the webhook's signing secret are
 * project secrets (`coolify_token`, `deploy_webhook_secret`).
 */
export const deploySettingsSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('command'),
    command: z.string().trim().min(1).max(4_000).refine(oneLine, { message: 'must be one line' }),
    url: siteUrl,
    timeoutSeconds: z.number().int().min(1).max(3_600).optional(),
  }),
  z.object({
    kind: z.literal('coolify'),
    /** The Coolify instance, e.g. https://coolify.example.com. */
    baseUrl: httpUrl,
    /** The Coolify application to deploy (its uuid in Coolify's dashboard). */
    applicationUuid: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9_-]+$/, { message: 'must be a Coolify resource uuid (letters, digits, - and _)' }),
    url: siteUrl,
    /** How long to wait for Coolify's build to finish. */
    timeoutSeconds: z.number().int().min(1).max(MAX_REMOTE_DEPLOY_TIMEOUT_SECONDS).optional(),
    /** How often to ask Coolify how the build is going; fractions allowed so tests need not wait. */
    pollSeconds: z.number().min(0.05).max(300).optional(),
  }),
  z.object({
    kind: z.literal('webhook'),
    /** Receives a JSON POST of {commit, project, conversationId, deployId}; any 2xx answer is success. */
    webhookUrl: httpUrl,
    url: siteUrl,
    /** How long the webhook gets to answer. */
    timeoutSeconds: z.number().int().min(1).max(MAX_REMOTE_DEPLOY_TIMEOUT_SECONDS).optional(),
  }),
  z.object({ kind: z.literal('none') }),
]);

export type DeploySettings = z.infer<typeof deploySettingsSchema>;

/** A deploy command (or a Coolify build) that runs longer than this, without its own timeout setting, is stopped. */
export const DEFAULT_DEPLOY_TIMEOUT_SECONDS = 600;
/** How often Coolify is asked how a build is going, without a pollSeconds setting. */
export const DEFAULT_COOLIFY_POLL_SECONDS = 5;
/** How long a deploy webhook gets to answer, without a timeoutSeconds setting. */
export const DEFAULT_WEBHOOK_TIMEOUT_SECONDS = 30;

/**
 * Attempts the deploy activity gets (workflows/activity-profiles.ts `deploy` profile). On the last one a
 * deploy service that is still unreachable is recorded as a failed deploy instead of thrown, so the founder
 * hears about it in plain words rather than as a failed request.
 */
export const DEPLOY_ATTEMPTS = 3;

/** The redeploy workflow's id: one per deploy row, so starting it twice for one deploy is refused. */
export const redeployWorkflowId = (deployId: string) => `redeploy-${deployId}`;

/** What the redeploy workflow is started with. */
export type RedeployInput = {
  projectId: string;
  /** The new deploy's id: its `deploys` row and its workflow id. */
  deployId: string;
  /** The commit to deploy again. */
  commit: string;
  /** The earlier deploy whose commit this is. */
  sourceDeployId: string;
};
