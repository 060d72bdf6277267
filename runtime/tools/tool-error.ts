/**
 * Thrown by a tool for a mistake the model can fix (a missing file, an ambiguous edit, a path outside the
 * workspace). The message is shown to the model as-is, so it says what to do next. Never retryable: the same
 * call fails the same way.
 */
export class ToolError extends Error {
  override readonly name = 'ToolError';
  readonly retryable = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
