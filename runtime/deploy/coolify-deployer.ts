/**
 * Deploys through a Coolify v4 instance's API: `GET /api/v1/deploy?uuid=<application>&force=false` queues a
 * deployment and answers `{deployments: [{message, resource_uuid, deployment_uuid}]}`; then
 * `GET /api/v1/deployments/{deployment_uuid}` is polled until its `status` leaves `queued`/`in_progress`
 * (`finished` is success; `failed`, `failed-rolled-back` and `cancelled-by-user` are not). The deployment's
 * `logs` field is a JSON string of `{output, type, hidden, ...}` entries, returned only to tokens with the
 * `read:sensitive` permission. Both calls send `Authorization: Bearer <token>`.
 *
 * Coolify builds the application's configured branch (or its pinned `git_commit_sha`); its deploy API takes no
 * commit. When Coolify reports building a different commit than the one asked for, the log tail says so.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { DeployHttpError } from './deploy-http-error.js';
import { redactSecrets, tailOf, type DeployInput, type Deployer, type DeployResult } from './deployer.js';
import { DeployAbortedError, httpCall } from './http-call.js';

export type CoolifyDeployerOptions = {
  /** The instance's origin, e.g. https://coolify.example.com (a trailing /api/v1 is accepted). */
  baseUrl: string;
  applicationUuid: string;
  /** An API token with the `deploy` and `read` permissions (`read:sensitive` to see build logs). */
  token: string;
  /** Where the deployed product can be opened. */
  url?: string;
  /** How long to wait for the deployment to finish, from the moment it is queued. */
  timeoutMs: number;
  pollMs: number;
  /** One HTTP call's deadline; 30 s unless set. */
  requestTimeoutMs?: number;
};

/** Coolify's deployment statuses (App\Enums\ApplicationDeploymentStatus). */
const SUCCEEDED = new Set(['finished']);
const FAILED = new Set(['failed', 'failed-rolled-back', 'cancelled-by-user']);

const deployAnswer = z.object({
  deployments: z.array(z.object({ message: z.string().nullish(), resource_uuid: z.string().nullish(), deployment_uuid: z.string().nullish() })).optional(),
  message: z.unknown().optional(),
});

const deploymentAnswer = z.object({
  status: z.string(),
  logs: z.string().nullish(),
  commit: z.string().nullish(),
});

const logEntry = z.object({ output: z.string().nullish(), hidden: z.union([z.boolean(), z.number()]).nullish() });

/** The visible lines of a deployment's `logs` (a JSON string of entries); `undefined` when Coolify sent none. */
export function coolifyLogText(logs: string | null | undefined): string | undefined {
  if (!logs) return undefined;
  try {
    const entries = z.array(logEntry).parse(JSON.parse(logs));
    return entries
      .filter((e) => !e.hidden && e.output)
      .map((e) => e.output!)
      .join('\n');
  } catch {
    // Not the documented shape: the raw text is still better than nothing.
    return logs;
  }
}

function apiBase(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '').replace(/\/api\/v1$/, '')}/api/v1`;
}

/** A deployer that queues a Coolify deployment of one application and waits for its verdict. */
export function createCoolifyDeployer(options: CoolifyDeployerOptions): Deployer {
  const base = apiBase(options.baseUrl);
  // A Coolify token is `<id>|<secret>`: the secret alone must not leak either.
  const secrets = [options.token, options.token.split('|').slice(1).join('|')];
  const headers = { Authorization: `Bearer ${options.token}`, Accept: 'application/json' };
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;

  const get = async (path: string, signal?: AbortSignal) => {
    const { text } = await httpCall({ service: 'coolify', method: 'GET', url: `${base}${path}`, headers, timeoutMs: requestTimeoutMs, signal, secrets });
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new DeployHttpError('coolify', `GET ${path} answered with something that is not JSON`, 200, false, { cause: err });
    }
  };

  return {
    kind: 'coolify',
    async deploy({ commit, signal, onProgress }: DeployInput): Promise<DeployResult> {
      const notes: string[] = [];
      const finish = (status: DeployResult['status'], logs: string | undefined, deploymentId?: string): DeployResult => ({
        ok: status === 'succeeded',
        status,
        logTail: tailOf(redactSecrets([logs ?? '', ...notes].filter(Boolean).join('\n'), secrets)),
        ...(options.url ? { url: options.url } : {}),
        ...(deploymentId ? { deploymentId } : {}),
      });
      if (signal?.aborted) {
        notes.push('[vibn] deploy aborted before it started');
        return finish('failed', undefined);
      }

      const query = new URLSearchParams({ uuid: options.applicationUuid, force: 'false' });
      let deploymentId: string | undefined;
      try {
        const queued = deployAnswer.safeParse(await get(`/deploy?${query}`, signal));
        const entry = queued.success ? queued.data.deployments?.find((d) => d.resource_uuid === options.applicationUuid) ?? queued.data.deployments?.[0] : undefined;
        deploymentId = entry?.deployment_uuid ?? undefined;
        if (!deploymentId) {
          // Coolify answers 200 without a deployment uuid for a service or database: nothing to follow.
          notes.push(`[vibn] Coolify queued no application deployment for ${options.applicationUuid}${entry?.message ? `: ${entry.message}` : ''}`);
          return finish('failed', undefined);
        }
        onProgress?.({ phase: 'started', deploymentId });

        const deadline = Date.now() + options.timeoutMs;
        let logs: string | undefined;
        for (;;) {
          await sleep(Math.max(0, Math.min(options.pollMs, deadline - Date.now())), undefined, { signal });
          const parsed = deploymentAnswer.safeParse(await get(`/deployments/${encodeURIComponent(deploymentId)}`, signal));
          if (!parsed.success) throw new DeployHttpError('coolify', `GET /deployments/${deploymentId} answered without a status`, 200, false);
          const { status, commit: built } = parsed.data;
          logs = coolifyLogText(parsed.data.logs) ?? logs;
          if (SUCCEEDED.has(status) || FAILED.has(status)) {
            onProgress?.({ phase: 'done', deploymentId, remoteStatus: status });
            if (parsed.data.logs == null) notes.push('[vibn] Coolify sent no build logs (the token needs the read:sensitive permission to see them)');
            if (built && /^[0-9a-f]{40}$/i.test(built) && !built.toLowerCase().startsWith(commit.toLowerCase())) {
              notes.push(`[vibn] Coolify built commit ${built}, not the requested ${commit}: it deploys the application's configured branch`);
            }
            if (FAILED.has(status)) notes.push(`[vibn] Coolify deployment ${deploymentId} ended with status ${status}`);
            return finish(SUCCEEDED.has(status) ? 'succeeded' : 'failed', logs, deploymentId);
          }
          onProgress?.({ phase: 'waiting', deploymentId, remoteStatus: status });
          if (Date.now() >= deadline) {
            notes.push(`[vibn] Coolify deployment ${deploymentId} was still ${status} after ${Math.round(options.timeoutMs / 1000)} s; VIBN stopped waiting for it`);
            return finish('timed_out', logs, deploymentId);
          }
        }
      } catch (err) {
        if (err instanceof DeployAbortedError || (signal?.aborted && (err as Error).name === 'AbortError')) {
          notes.push('[vibn] deploy was aborted; VIBN stopped waiting for Coolify');
          return finish('failed', undefined, deploymentId);
        }
        throw err;
      }
    },
  };
}
