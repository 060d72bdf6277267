/**
 * Project settings that reach beyond the project: a deploy command runs on the server itself, the network
 * setting opens the sandbox to the host's network, and a local repository path can name another project's
 * repository. A project token may keep them as they are but not change them; only the admin token, held by
 * whoever runs VIBN, may.
 */
import { isDeepStrictEqual } from 'node:util';
import type { DeploySettings } from '../core/deploy-settings.js';
import { ApiError } from './errors.js';

/** Remotes a project token may point its project at: network URLs and scp-like SSH, never a path or file://. */
const REMOTE_REPOSITORY = /^(?:(?:https?|ssh|git):\/\/|[\w.-]+@[\w.-]+:)/i;

type Settings = { deploy?: DeploySettings; allowNetwork?: boolean; repoUrl?: string };
type Current = { deploy: unknown; allowNetwork: boolean; repoUrl: string };

/** Throws 403, naming the field, when a project token's change would reach beyond its project. */
export function refuseOperatorOnlyChanges(change: Settings, current: Current): void {
  if (change.deploy?.kind === 'command' && !isDeepStrictEqual(change.deploy, current.deploy)) {
    throw new ApiError(403, 'admin_only', 'Only the admin token may set a deploy command: it runs on the server itself', 'deploy');
  }
  if (change.allowNetwork !== undefined && change.allowNetwork !== current.allowNetwork) {
    throw new ApiError(403, 'admin_only', "Only the admin token may change the network setting: it opens the sandbox to the server's network", 'allowNetwork');
  }
  if (change.repoUrl !== undefined && change.repoUrl !== current.repoUrl && !REMOTE_REPOSITORY.test(change.repoUrl)) {
    throw new ApiError(403, 'admin_only', 'A project token may point its project only at a remote repository (https://, ssh:// or user@host:path)', 'repoUrl');
  }
}
