// Evaluates a parsed formula in IEEE doubles, refusing results that are not finite real numbers.
import { CalcError } from "./calcError";
import type { Expr } from "./formulaParser";
import { parseFormula } from "./formulaParser";

/** The value of an expression tree; throws CalcError at the operator that went wrong. */
export function evaluate(expr: Expr): number {
  switch (expr.kind) {
    case "number":
      if (!Number.isFinite(expr.value)) throw new CalcError("number too large", expr.column);
      return expr.value;
    case "negate":
      return -evaluate(expr.operand);
    case "binary": {
      const a = evaluate(expr.left);
      const b = evaluate(expr.right);
      let r: number;
      switch (expr.op) {
        case "+":
          r = a + b;
          break;
        case "-":
          r = a - b;
          break;
        case "*":
          r = a * b;
          break;
        case "/":
          if (b === 0) throw new CalcError("division by zero", expr.column);
          r = a / b;
          break;
        case "^":
          if (a === 0 && b < 0) throw new CalcError("zero raised to a negative power", expr.column);
          r = a ** b;
          if (Number.isNaN(r))
            throw new CalcError("result is not a real number (fractional power of a negative)", expr.column);
          break;
      }
      if (!Number.isFinite(r)) throw new CalcError("result too large (overflow)", expr.column);
      return r;
    }
  }
}

/**
 * Parses and evaluates a formula; -0 is answered as 0.
 * @example calculate("2*(3+4)^2") // 98
 */
export function calculate(formula: string): number {
  const r = evaluate(parseFormula(formula));
  return r === 0 ? 0 : r;
}
