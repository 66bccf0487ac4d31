// The one error type a route may throw to answer with a status and a message the user can act on.

export class HttpError extends Error {
  override readonly name = "HttpError";

  /**
   * @param status HTTP status to answer with.
   * @param message What is wrong, said to the caller.
   * @param details Extra JSON fields for the body (e.g. the column of a syntax error).
   */
  constructor(
    readonly status: number,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
