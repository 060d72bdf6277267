/**
 * The type of every failure an activity ends with, in one place. Activities throw with these names, retry
 * profiles match on them, and the request workflow decides from them how to tell the founder. A Temporal
 * failure's `type` is a plain string that no compiler checks across the worker/workflow boundary: a name that
 * drifts on one side only (a type thrown but never listed as non-retryable) retries for ever in silence.
 *
 * Pure constants: workflows import this file.
 */

/** Failure types activities throw with `ApplicationFailure`, and error classes whose `name` becomes the type. */
export const FAILURE = {
  /** The project row is gone (deleted while a request ran). */
  projectNotFound: 'ProjectNotFound',
  /** A deploy activity was called with neither a conversation nor a deploy id. */
  invalidDeploy: 'InvalidDeploy',
  /** The git server refused the project's token or deploy key; the message is the founder's. */
  gitAuth: 'GitAuthFailed',
  /** The push cannot land without someone resolving a conflict. */
  pushRejected: 'PushRejected',
  /** A task's change carried what looks like a secret, so it was not committed; the message is the founder's. */
  secretInChange: 'SecretInChange',
  /** The project's checks failed after rebasing onto newer work, so nothing was pushed; the message is the founder's. */
  checksFailed: 'ChecksFailed',
  /** A model answered twice with output that does not fit the schema. */
  invalidModelOutput: 'InvalidModelOutput',
  /** A model call refused for budget: workflows pause and ask the founder instead of failing. */
  budgetExceeded: 'BudgetExceeded',
  /** The SMTP server did not take the notification email (retried). */
  emailNotSent: 'EmailNotSent',

  // Error classes thrown as they are: the SDK uses the class's `name` as the failure type.
  /** runtime/git/run-git.ts GitAuthenticationError, where an activity lets it through unconverted. */
  gitAuthentication: 'GitAuthenticationError',
  /** runtime/git/credentials.ts: credentials withheld from an inside address. */
  credentialsWithheld: 'CredentialsWithheldError',
  /** runtime/workspace/project-disk.ts: the project's disk cannot be made or mounted. */
  diskUnavailable: 'DiskUnavailableError',
  /** runtime/sandbox/sandbox-user.ts: running as root without a usable sandbox user. */
  sandboxUser: 'SandboxUserError',
  /** runtime/sandbox/sandbox.ts: no sandbox on this worker. */
  sandboxUnavailable: 'SandboxUnavailableError',
  /** runtime/sandbox/bounds-unavailable.ts: commands cannot be bounded on this machine. */
  boundsUnavailable: 'BoundsUnavailableError',
  /** runtime/sandbox/network.ts: the internet-only network cannot be set up. */
  internetOnlyUnavailable: 'InternetOnlyUnavailableError',
  /** runtime/deploy/deploy-http-error.ts: a deploy service call that may pass (retried up to DEPLOY_ATTEMPTS). */
  deployHttp: 'DeployHttpError',
} as const;

export type FailureType = (typeof FAILURE)[keyof typeof FAILURE];

/** A model vendor's failure, by its kind (llm/errors.ts LlmErrorKind): `Llm_rate_limited`, `Llm_unauthorized`, … */
export const llmFailureType = (kind: string) => `Llm_${kind}`;

/**
 * Failures retrying cannot fix: the same call fails the same way until a person changes something. Every retry
 * profile lists them; ApplicationFailure.nonRetryable throwers are final anyway, but error classes thrown as
 * they are (GitAuthenticationError, DiskUnavailableError, …) are only final because they are listed here.
 */
export const NON_RETRYABLE_FAILURES: readonly string[] = [
  FAILURE.projectNotFound,
  FAILURE.invalidDeploy,
  FAILURE.gitAuth,
  FAILURE.pushRejected,
  FAILURE.secretInChange,
  FAILURE.checksFailed,
  FAILURE.invalidModelOutput,
  FAILURE.budgetExceeded,
  FAILURE.gitAuthentication,
  FAILURE.credentialsWithheld,
  FAILURE.diskUnavailable,
  FAILURE.sandboxUser,
  FAILURE.sandboxUnavailable,
  FAILURE.boundsUnavailable,
  FAILURE.internetOnlyUnavailable,
];

/**
 * Failures whose message is already written for the founder: the request shows it as it is, rather than as
 * "Something went wrong and the work could not be finished: <message>".
 */
export const FOUNDER_WORDS_FAILURES: readonly string[] = [FAILURE.gitAuth, FAILURE.checksFailed, FAILURE.secretInChange];

/** What the founder reads when the git server refuses the project's access token. */
export const GIT_TOKEN_REFUSED_FOR_FOUNDER = "I can't reach your repository: its access token was refused.";
/** … its deploy key (or the server's host key did not match the one pinned). */
export const GIT_KEY_REFUSED_FOR_FOUNDER = "I can't reach your repository: its deploy key was refused.";
/** … and when it asks for credentials the project does not have. */
export const GIT_NO_CREDENTIALS_FOR_FOUNDER = "I can't reach your repository: it asks for an access token, and the project has none.";
