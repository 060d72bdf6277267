/**
 * When a command's memory, process and CPU bounds cannot be applied, the command is refused, unless the
 * operator said to run commands without them. Both the refusal and /health name the fix and that setting.
 */
import { CommandsRefusedError } from './commands-refused.js';

/** The setting a config reads to run commands without cgroup bounds where they cannot be applied. */
export const UNBOUNDED_SETTING = 'VIBN_UNBOUNDED';

/** What the operator can do about missing bounds, for the refusal, logs and /health. */
export const BOUNDS_FIX =
  'run VIBN as root on Linux with cgroups: v2 with the memory, pids and cpu controllers available to its cgroup ' +
  '(under systemd: Delegate=yes), or v1 with those controllers mounted';

/**
 * Thrown by createCommandCgroup when no cgroup can be made or a cap cannot be written, and the operator did
 * not opt out. Not retryable: the machine or the setting has to change.
 */
export class BoundsUnavailableError extends CommandsRefusedError {
  override readonly name = 'BoundsUnavailableError';

  /** `reason`: the missing hierarchy, or the write the kernel refused. */
  constructor(reason: string) {
    super(
      reason,
      `Commands are not run: their memory, process and CPU bounds cannot be applied on this server (${reason}). ` +
        `To fix it, ${BOUNDS_FIX}; or set ${UNBOUNDED_SETTING}=1 to run commands without these bounds.`,
    );
  }
}
