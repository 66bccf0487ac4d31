// The only error the calculator throws: what is wrong and the 1-based column where it is.

export class CalcError extends Error {
  override readonly name = "CalcError";

  /**
   * @param problem What is wrong, without the position.
   * @param column 1-based column in the formula.
   */
  constructor(
    readonly problem: string,
    readonly column: number,
  ) {
    super(`${problem} at column ${column}`);
  }
}
