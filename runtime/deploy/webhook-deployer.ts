/**
 * Deploys by telling someone else's system to: a JSON POST of `{commit, project, conversationId, deployId}`
 * to a URL the founder configured. With a secret, the raw body is signed as GitHub and Gitea sign theirs:
 * `X-VIBN-Signature: sha256=<hex HMAC-SHA256 of the body>`. Any 2xx answer means the deploy was accepted.
 */
import { createHmac } from 'node:crypto';
import { redactSecrets, tailOf, type DeployInput, type Deployer, type DeployResult } from './deployer.js';
import { DeployAbortedError, httpCall } from './http-call.js';

/** The header carrying the body's signature. */
export const SIGNATURE_HEADER = 'X-VIBN-Signature';
/** The header carrying the deploy's id, so a receiver can recognise a retried delivery. */
export const DELIVERY_HEADER = 'X-VIBN-Delivery';

export type WebhookDeployerOptions = {
  webhookUrl: string;
  /** Signs the body when set (project secret `deploy_webhook_secret`). */
  secret?: string;
  /** Where the deployed product can be opened. */
  url?: string;
  /** How long the receiver gets to answer. */
  timeoutMs: number;
  project: { id: string; name: string };
  /** The request being deployed; null for a redeploy, which belongs to no conversation. */
  conversationId: string | null;
  /** The deploy's own id: the same on every retry of one deploy. */
  deployId: string;
};

/** `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`: what a receiver recomputes to trust a call. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** A deployer that POSTs the commit to a webhook and succeeds when it answers 2xx. */
export function createWebhookDeployer(options: WebhookDeployerOptions): Deployer {
  const secrets = [options.secret];
  return {
    kind: 'webhook',
    async deploy({ commit, signal, onProgress }: DeployInput): Promise<DeployResult> {
      const body = JSON.stringify({ commit, project: options.project, conversationId: options.conversationId, deployId: options.deployId });
      const headers: Record<string, string> = { 'Content-Type': 'application/json', [DELIVERY_HEADER]: options.deployId };
      if (options.secret) headers[SIGNATURE_HEADER] = signBody(body, options.secret);
      const result = (ok: boolean, logTail: string): DeployResult => ({
        ok,
        status: ok ? 'succeeded' : 'failed',
        logTail: tailOf(redactSecrets(logTail, secrets)),
        ...(options.url ? { url: options.url } : {}),
      });
      onProgress?.({ phase: 'started' });
      try {
        const answer = await httpCall({ service: 'webhook', method: 'POST', url: options.webhookUrl, headers, body, timeoutMs: options.timeoutMs, signal, secrets });
        onProgress?.({ phase: 'done', remoteStatus: String(answer.status) });
        return result(true, `[vibn] the deploy webhook answered ${answer.status}${answer.text.trim() ? `\n${answer.text.trim()}` : ''}`);
      } catch (err) {
        if (err instanceof DeployAbortedError) return result(false, '[vibn] deploy was aborted before the webhook answered');
        throw err;
      }
    },
  };
}
