/** Picks and configures the deployer a project's settings name. */
import {
  DEFAULT_COOLIFY_POLL_SECONDS,
  DEFAULT_DEPLOY_TIMEOUT_SECONDS,
  DEFAULT_WEBHOOK_TIMEOUT_SECONDS,
  type DeploySettings,
} from '../../core/deploy-settings.js';
import { createCommandDeployer } from './command-deployer.js';
import { createCoolifyDeployer } from './coolify-deployer.js';
import type { Deployer } from './deployer.js';
import { createWebhookDeployer } from './webhook-deployer.js';

export type DeployerContext = {
  project: { id: string; name: string };
  /** The request being deployed; null for a redeploy. */
  conversationId: string | null;
  /** The deploy's row id, stable across retries. */
  deployId: string;
  /** The project's deploy secrets, as read from project_secrets. */
  secrets: { coolifyToken?: string; webhookSecret?: string };
};

/**
 * The deployer for `settings`, or a plain-language reason there is none (a Coolify project without its token).
 * Never called with kind `none`: a project without a deployer is skipped before this.
 */
export function createDeployer(settings: Exclude<DeploySettings, { kind: 'none' }>, context: DeployerContext): Deployer | { problem: string } {
  const timeoutMs = (seconds: number | undefined, fallback: number) => (seconds ?? fallback) * 1000;
  switch (settings.kind) {
    case 'command':
      return createCommandDeployer({ command: settings.command, url: settings.url, timeoutMs: timeoutMs(settings.timeoutSeconds, DEFAULT_DEPLOY_TIMEOUT_SECONDS) });
    case 'coolify':
      if (!context.secrets.coolifyToken) {
        return { problem: 'No Coolify API token is set for this project (project secret coolify_token), so VIBN could not ask Coolify to deploy.' };
      }
      return createCoolifyDeployer({
        baseUrl: settings.baseUrl,
        applicationUuid: settings.applicationUuid,
        token: context.secrets.coolifyToken,
        url: settings.url,
        timeoutMs: timeoutMs(settings.timeoutSeconds, DEFAULT_DEPLOY_TIMEOUT_SECONDS),
        pollMs: timeoutMs(settings.pollSeconds, DEFAULT_COOLIFY_POLL_SECONDS),
      });
    case 'webhook':
      return createWebhookDeployer({
        webhookUrl: settings.webhookUrl,
        secret: context.secrets.webhookSecret,
        url: settings.url,
        timeoutMs: timeoutMs(settings.timeoutSeconds, DEFAULT_WEBHOOK_TIMEOUT_SECONDS),
        project: context.project,
        conversationId: context.conversationId,
        deployId: context.deployId,
      });
  }
}
