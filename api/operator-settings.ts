/**
 * Project settings that reach beyond the project: a deploy command runs on the server itself, the network
 * setting opens the sandbox to the network, and a repository URL can name another project's repository or a
 * service beside VIBN. A project token may keep them as they are but not change them, except for a repository
 * URL that leads outside; only the admin token, held by whoever runs VIBN, may change the rest.
 */
import { isDeepStrictEqual } from 'node:util';
import type { DeploySettings } from '../core/deploy-settings.js';
import { insideHost, remoteLocation } from '../runtime/git/remote-host.js';
import { ApiError } from './errors.js';

type Settings = { deploy?: DeploySettings; allowNetwork?: boolean; repoUrl?: string };
type Current = { deploy: unknown; allowNetwork: boolean; repoUrl: string };

/** Throws 403 (or 400 for a host that cannot be judged), naming the field, when a project token's change would reach beyond its project. */
export async function refuseOperatorOnlyChanges(change: Settings, current: Current): Promise<void> {
  if (change.deploy?.kind === 'command' && !isDeepStrictEqual(change.deploy, current.deploy)) {
    throw new ApiError(403, 'admin_only', 'Only the admin token may set a deploy command: it runs on the server itself', 'deploy');
  }
  // The server calls these on the project's behalf (and shows what they answer in the deploy log): from a
  // project token they may lead only outside, as a repository may, or they would reach services beside VIBN.
  if (change.deploy?.kind === 'coolify' && !isDeepStrictEqual(change.deploy, current.deploy)) await refuseInsideService(change.deploy.baseUrl, 'deploy.baseUrl');
  if (change.deploy?.kind === 'webhook' && !isDeepStrictEqual(change.deploy, current.deploy)) await refuseInsideService(change.deploy.webhookUrl, 'deploy.webhookUrl');
  if (change.allowNetwork !== undefined && change.allowNetwork !== current.allowNetwork) {
    throw new ApiError(403, 'admin_only', "Only the admin token may change the network setting: it opens the sandbox to the server's network", 'allowNetwork');
  }
  if (change.repoUrl !== undefined && change.repoUrl !== current.repoUrl) await refuseInsideRepository(change.repoUrl);
}

/** A deployer's URL from a project token: https, to a host outside (checked as a repository's host is). */
async function refuseInsideService(url: string, field: string): Promise<void> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:') {
    throw new ApiError(403, 'admin_only', `A project token may set ${field} only to an https:// address; others are for the admin token`, field);
  }
  await refuseInsideHost(parsed.hostname, field, 'reach this server or a private network');
}

/** 403 when `host` is (or resolves to) an inside address, 400 when it cannot be judged; naming `field`. */
async function refuseInsideHost(host: string, field: string, adminMay: string): Promise<void> {
  const verdict = await insideHost(host);
  if (verdict?.kind === 'inside') {
    throw new ApiError(403, 'admin_only', `A project token may not point ${field} at ${host}, which is ${verdict.reason}: only the admin token may ${adminMay}`, field);
  }
  if (verdict?.kind === 'unresolved') {
    throw new ApiError(400, 'unresolvable_host', `${field}: its host ${host} is ${verdict.reason}, so it cannot be checked; check the address and try again`, field);
  }
}

/**
 * A project token's repository must be a network URL (https://, ssh://, git:// or user@host:path) whose host
 * is outside: not this machine, nor a loopback, private, link-local or CGNAT address, checked on the IP of a
 * literal and on every address a name resolves to. Plain http:// would send the git token in clear.
 */
async function refuseInsideRepository(repoUrl: string): Promise<void> {
  const location = remoteLocation(repoUrl);
  if (location.kind !== 'network' || location.scheme === 'http') {
    throw new ApiError(
      403,
      'admin_only',
      'A project token may point its project only at a remote repository (https://, ssh://, git:// or user@host:path); local paths, file:// and http:// are for the admin token',
      'repoUrl',
    );
  }
  await refuseInsideHost(location.host, 'repoUrl', 'set a repository on this server or a private network');
}
