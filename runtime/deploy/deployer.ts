/**
 * The one shape every deployer has: given a commit (and, for a local command, a working copy of it), make it
 * live and say how that went. The deploy activity picks a deployer from the project's settings and never needs
 * to know which one it holds.
 */

/** How a deploy ended; `timed_out` is a failure the founder should hear about as such. */
export type DeployStatus = 'succeeded' | 'failed' | 'timed_out';

/** What a deployer reports while it works; the deploy activity sends it as heartbeat details. */
export type DeployProgress = {
  /** started: the deployer accepted the work; waiting: it is polling a remote build; done: it has a verdict. */
  phase: 'started' | 'waiting' | 'done';
  /** The remote system's own id for this deployment (a Coolify deployment uuid), once known. */
  deploymentId?: string;
  /** The remote system's own status word, e.g. Coolify's `in_progress`. */
  remoteStatus?: string;
};

export type DeployInput = {
  /** The commit to make live (full or abbreviated sha). */
  commit: string;
  /** A working copy at `commit`; only the command deployer reads it. */
  workdir: string;
  /** Variables a command deployer passes to its command; remote deployers ignore them. */
  env: Record<string, string>;
  /** Aborting stops the deploy (a command is killed; a remote deploy stops being waited for). */
  signal?: AbortSignal;
  onProgress?: (progress: DeployProgress) => void;
  /**
   * A folder kept across the attempts of one deploy. A command deployer records its process and exit status
   * there, so a retry after a worker died adopts the command that is still running (or finished) instead of
   * deploying a second time.
   */
  stateDir?: string;
  /** The unprivileged host user a command deploy runs as (VIBN's sandbox user when VIBN is root). */
  runAs?: { uid: number; gid: number };
};

export type DeployResult = {
  /** True exactly when `status` is `succeeded`. */
  ok: boolean;
  status: DeployStatus;
  /** The last few KB of what the deploy printed, with every known secret removed. */
  logTail: string;
  /** Where the deployed product can be opened, when known. */
  url?: string;
  /** The remote system's id for this deployment, when there is one. */
  deploymentId?: string;
};

/**
 * Makes a commit live. A deploy that runs and fails (a broken build, a non-zero exit, a timeout) resolves
 * with `ok: false`; only a failure to reach the deploy service at all rejects, with a
 * {@link DeployHttpError} that says whether trying again may help.
 */
export interface Deployer {
  /** command | coolify | webhook */
  readonly kind: string;
  deploy(input: DeployInput): Promise<DeployResult>;
}

/** How much of the end of a deploy's output a result keeps: enough to show the error, small enough to store. */
export const LOG_TAIL_BYTES = 4096;

/** The last `limit` bytes of `text`, never cutting a character in half. */
export function tailOf(text: string, limit = LOG_TAIL_BYTES): string {
  const all = Buffer.from(text, 'utf8');
  if (all.length <= limit) return text;
  let start = all.length - limit;
  // Drop UTF-8 continuation bytes so the tail does not start with a replacement glyph.
  while (start < all.length && (all[start]! & 0xc0) === 0x80) start++;
  return all.subarray(start).toString('utf8');
}

/** Shorter strings are not redacted: replacing every "a" would destroy the log and protect nothing. */
const MIN_SECRET_LENGTH = 6;

/**
 * Replaces every occurrence of each secret in `text` with `[redacted]`. Used on everything a deploy stores or
 * throws, because a build log or an error body may echo a token back.
 */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined | null>): string {
  let out = text;
  // Longest first, so a token containing another secret is removed whole.
  const list = secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  for (const secret of list) out = out.split(secret).join('[redacted]');
  return out;
}
