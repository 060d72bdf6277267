/**
 * Commands refused because this machine cannot give them what they must run under: the sandbox, their
 * bounds, their disk, or an internet-only network. Never retryable: the machine or the operator's settings
 * have to change. Callers catch this one class and pass its message on; each kind says what failed and how
 * to fix it in plain words.
 */
export abstract class CommandsRefusedError extends Error {
  readonly retryable = false;

  constructor(
    /** What failed, in the words of the tool that failed. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}
