// A recursive-descent parser for arithmetic: + - * / ^, parentheses, unary minus, decimals.
// Precedence, loosest first: + -  then  * /  then unary minus  then ^ (right-associative), so
// -2^2 = -(2^2) = -4 as in mathematics, and 2^-1 = 0.5 because an exponent may carry its own sign.
import { CalcError } from "./calcError";

/** Formulas longer than this are refused before parsing. */
export const MAX_FORMULA_LENGTH = 1000;
/** Deepest nesting of parentheses, unary minus and exponents accepted; bounds the recursion. */
export const MAX_NESTING = 100;

export type BinaryOp = "+" | "-" | "*" | "/" | "^";

/** The parsed formula. `column` is where the number or operator sits (1-based), for error messages. */
export type Expr =
  | { readonly kind: "number"; readonly value: number; readonly column: number }
  | { readonly kind: "negate"; readonly operand: Expr; readonly column: number }
  | {
      readonly kind: "binary";
      readonly op: BinaryOp;
      readonly left: Expr;
      readonly right: Expr;
      readonly column: number;
    };

interface Token {
  readonly type: "number" | "op" | "(" | ")" | "end";
  readonly text: string;
  readonly column: number;
}

function describe(token: Token): string {
  return token.type === "end" ? "end of formula" : `'${token.text}'`;
}

/** Splits a formula into tokens; anything that is not a number, operator or parenthesis is an error. */
function tokenize(formula: string): Token[] {
  const tokens: Token[] = [];
  const number = /[0-9]+(?:\.[0-9]*)?|\.[0-9]+/y;
  let i = 0;
  while (i < formula.length) {
    const c = formula[i]!;
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    if ("+-*/^".includes(c)) {
      tokens.push({ type: "op", text: c, column: i + 1 });
      i++;
      continue;
    }
    if (c === "(" || c === ")") {
      tokens.push({ type: c, text: c, column: i + 1 });
      i++;
      continue;
    }
    number.lastIndex = i;
    const m = number.exec(formula);
    if (m) {
      tokens.push({ type: "number", text: m[0], column: i + 1 });
      i += m[0].length;
      continue;
    }
    const shown = String.fromCodePoint(formula.codePointAt(i)!);
    throw new CalcError(`unexpected character ${JSON.stringify(shown)}`, i + 1);
  }
  tokens.push({ type: "end", text: "", column: formula.length + 1 });
  return tokens;
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    return this.tokens[this.pos++]!;
  }

  private nest<T>(at: Token, inner: () => T): T {
    if (++this.depth > MAX_NESTING) throw new CalcError(`nesting deeper than ${MAX_NESTING}`, at.column);
    try {
      return inner();
    } finally {
      this.depth--;
    }
  }

  parseFormula(): Expr {
    if (this.peek().type === "end") throw new CalcError("empty formula", 1);
    const expr = this.additive();
    const rest = this.peek();
    if (rest.type === ")") throw new CalcError("unmatched ')'", rest.column);
    if (rest.type !== "end")
      throw new CalcError(`expected an operator before ${describe(rest)}`, rest.column);
    return expr;
  }

  private additive(): Expr {
    let left = this.multiplicative();
    for (let t = this.peek(); t.type === "op" && (t.text === "+" || t.text === "-"); t = this.peek()) {
      this.next();
      left = { kind: "binary", op: t.text, left, right: this.multiplicative(), column: t.column };
    }
    return left;
  }

  private multiplicative(): Expr {
    let left = this.unary();
    for (let t = this.peek(); t.type === "op" && (t.text === "*" || t.text === "/"); t = this.peek()) {
      this.next();
      left = { kind: "binary", op: t.text, left, right: this.unary(), column: t.column };
    }
    return left;
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.type === "op" && t.text === "-") {
      this.next();
      return this.nest(t, () => ({ kind: "negate", operand: this.unary(), column: t.column }));
    }
    return this.power();
  }

  private power(): Expr {
    const base = this.primary();
    const t = this.peek();
    if (t.type === "op" && t.text === "^") {
      this.next();
      // The exponent is a unary expression, which makes ^ right-associative: 2^3^2 = 2^(3^2).
      return this.nest(t, () => ({
        kind: "binary",
        op: "^",
        left: base,
        right: this.unary(),
        column: t.column,
      }));
    }
    return base;
  }

  private primary(): Expr {
    const t = this.next();
    if (t.type === "number") return { kind: "number", value: Number(t.text), column: t.column };
    if (t.type === "(") {
      return this.nest(t, () => {
        if (this.peek().type === ")") throw new CalcError("empty parentheses", this.peek().column);
        const inner = this.additive();
        const close = this.next();
        if (close.type !== ")") {
          throw new CalcError(
            close.type === "end"
              ? `unclosed '(' from column ${t.column}: expected ')'`
              : `expected ')' or an operator before ${describe(close)}`,
            close.column,
          );
        }
        return inner;
      });
    }
    throw new CalcError(`expected a number or '(' but found ${describe(t)}`, t.column);
  }
}

/**
 * Parses a formula into an expression tree; throws CalcError (with a column) on anything else.
 * @example parseFormula("-2^2").kind // "negate"
 */
export function parseFormula(formula: string): Expr {
  if (formula.length > MAX_FORMULA_LENGTH) {
    throw new CalcError(`formula longer than ${MAX_FORMULA_LENGTH} characters`, MAX_FORMULA_LENGTH + 1);
  }
  return new Parser(tokenize(formula)).parseFormula();
}
