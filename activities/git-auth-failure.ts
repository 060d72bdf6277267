/**
 * A git server that refuses the project's credentials, as the founder reads it. git's own words (the URL, the
 * server's answer) go to the worker's log for the operator; the failure carries only the founder's sentence,
 * typed so no retry policy tries the same refused token again.
 */
import { ApplicationFailure, log } from '@temporalio/activity';
import {
  FAILURE,
  GIT_KEY_REFUSED_FOR_FOUNDER,
  GIT_NO_CREDENTIALS_FOR_FOUNDER,
  GIT_TOKEN_REFUSED_FOR_FOUNDER,
} from '../core/failure-types.js';
import { GitAuthenticationError, type GitCredentials } from '../runtime/git/index.js';

const FOR_FOUNDER: Record<GitCredentials['kind'], string> = {
  token: GIT_TOKEN_REFUSED_FOR_FOUNDER,
  ssh_key: GIT_KEY_REFUSED_FOR_FOUNDER,
  none: GIT_NO_CREDENTIALS_FOR_FOUNDER,
};

/** `err` as the founder's non-retryable GitAuthFailed when it is git's authentication failure; otherwise `err`. */
export function asGitAuthFailure(err: unknown, credentials: GitCredentials, projectId: string): unknown {
  if (!(err instanceof GitAuthenticationError)) return err;
  log.warn('the git server refused the project credentials', { projectId, reason: err.message });
  return ApplicationFailure.nonRetryable(FOR_FOUNDER[credentials.kind], FAILURE.gitAuth);
}

/** Runs a git step whose authentication failure should reach the founder in their words. */
export async function founderGitAuth<T>(credentials: GitCredentials, projectId: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw asGitAuthFailure(err, credentials, projectId);
  }
}
