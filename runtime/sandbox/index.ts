/** The command sandbox: bubblewrap around every `execute_command`, with rlimits and cgroup caps. */
export { bubblewrapArgs, SANDBOX_HOME, SANDBOX_UID, type SandboxOptions } from './bubblewrap.js';
export { CommandsRefusedError } from './commands-refused.js';
export {
  assertReady,
  assertSandboxReady,
  InternetOnlyUnavailableError,
  BoundsUnavailableError,
  detectBubblewrap,
  requireSandbox,
  runSandboxed,
  sandboxHealth,
  SandboxUnavailableError,
  UNSANDBOXED_SETTING,
  wrapCommand,
  type BubblewrapStatus,
  type SandboxedRun,
  type SandboxLimits,
  type SandboxSetting,
} from './sandbox.js';
