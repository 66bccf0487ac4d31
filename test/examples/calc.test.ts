// The calculator: a table of formulas and errors, then property tests (printed trees parse back to
// the same value) and a bounded fuzz run (random input only ever yields a number or a CalcError).
import { strict as assert } from "node:assert";
import fc from "fast-check";
import { CalcError } from "../../examples/calc/calcError";
import { calculate, evaluate } from "../../examples/calc/evaluate";
import { type Expr, MAX_FORMULA_LENGTH, MAX_NESTING, parseFormula } from "../../examples/calc/formulaParser";

describe("examples/calc calculator", () => {
  const values: [string, number][] = [
    ["1+2*3", 7],
    ["(1+2)*3", 9],
    ["10-4-3", 3],
    ["64/4/2", 8],
    ["-2^2", -4],
    ["(-2)^2", 4],
    ["2^3^2", 512],
    ["2^-1", 0.5],
    ["-2^-2", -0.25],
    ["2*-3", -6],
    ["3--2", 5],
    ["--2", 2],
    ["1.5+.25+2.", 3.75],
    [" 7 \t* 6 ", 42],
    ["-(1-4)*2", 6],
    ["0*-1", 0],
    ["(((((((((((1)))))))))))", 1],
    ["0.1+0.2", 0.1 + 0.2],
    ["1/3", 1 / 3],
  ];
  for (const [formula, value] of values) {
    it(`evaluates ${JSON.stringify(formula)} to ${value}`, () => {
      assert.equal(calculate(formula), value);
    });
  }

  const errors: [string, string][] = [
    ["", "empty formula at column 1"],
    ["1/0", "division by zero at column 2"],
    ["1/(2-2)", "division by zero at column 2"],
    ["0^-1", "zero raised to a negative power at column 2"],
    ["(-8)^(1/3)", "result is not a real number (fractional power of a negative) at column 5"],
    ["10^400", "result too large (overflow) at column 3"],
    ["9".repeat(400), "number too large at column 1"],
    ["(1+2", "unclosed '(' from column 1: expected ')' at column 5"],
    ["1+2)", "unmatched ')' at column 4"],
    ["1 2", "expected an operator before '2' at column 3"],
    ["2^^3", "expected a number or '(' but found '^' at column 3"],
    ["1+", "expected a number or '(' but found end of formula at column 3"],
    ["()", "empty parentheses at column 2"],
    ["+1", "expected a number or '(' but found '+' at column 1"],
    ["2*x", 'unexpected character "x" at column 3'],
    ["1..2", "expected an operator before '.2' at column 3"],
    ["1e5", 'unexpected character "e" at column 2'],
    ["(1)(2)", "expected an operator before '(' at column 4"],
    ["😀", 'unexpected character "😀" at column 1'],
    [
      `${"(".repeat(MAX_NESTING + 1)}1${")".repeat(MAX_NESTING + 1)}`,
      `nesting deeper than ${MAX_NESTING} at column 101`,
    ],
    [`${"-".repeat(MAX_NESTING + 1)}1`, `nesting deeper than ${MAX_NESTING} at column 101`],
    [
      "1".repeat(MAX_FORMULA_LENGTH + 1),
      `formula longer than ${MAX_FORMULA_LENGTH} characters at column 1001`,
    ],
  ];
  for (const [formula, message] of errors) {
    it(`refuses ${JSON.stringify(formula.length > 24 ? `${formula.slice(0, 24)}…` : formula)}: ${message}`, () => {
      assert.throws(
        () => calculate(formula),
        (err: unknown) => err instanceof CalcError && err.message === message,
      );
    });
  }

  it(`accepts nesting of exactly ${MAX_NESTING}`, () => {
    assert.equal(calculate(`${"(".repeat(MAX_NESTING)}2${")".repeat(MAX_NESTING)}`), 2);
    assert.equal(calculate(`${"-".repeat(MAX_NESTING)}2`), 2);
  });

  it("never uses eval or Function", async () => {
    const { readFile } = await import("node:fs/promises");
    for (const file of ["formulaParser.ts", "evaluate.ts", "calcRoute.ts"]) {
      const text = await readFile(`${__dirname}/../../examples/calc/${file}`, "utf8");
      assert.doesNotMatch(text, /\beval\s*\(|new Function|Function\s*\(/, file);
    }
  });
});

// --- property tests -------------------------------------------------------------------------------

/** Precedence levels of the grammar: + - (1), * / (2), unary minus (3), ^ (4), number (5). */
function level(e: Expr): number {
  if (e.kind === "number") return 5;
  if (e.kind === "negate") return 3;
  return { "+": 1, "-": 1, "*": 2, "/": 2, "^": 4 }[e.op];
}

/** Prints a tree with the fewest parentheses the grammar needs, and random spacing. */
function print(e: Expr, space: () => string): string {
  const wrap = (inner: Expr, needs: boolean) =>
    needs ? `(${space()}${print(inner, space)}${space()})` : print(inner, space);
  switch (e.kind) {
    case "number":
      return String(e.value);
    case "negate":
      return `-${space()}${wrap(e.operand, level(e.operand) < 3)}`;
    case "binary": {
      if (e.op === "^")
        return `${wrap(e.left, level(e.left) < 5)}${space()}^${space()}${wrap(e.right, level(e.right) < 3)}`;
      const l = level(e);
      return `${wrap(e.left, level(e.left) < l)}${space()}${e.op}${space()}${wrap(e.right, level(e.right) <= l)}`;
    }
  }
}

const literal: fc.Arbitrary<Expr> = fc
  .tuple(fc.nat({ max: 1000 }), fc.option(fc.nat({ max: 999 }), { nil: undefined }))
  .map(([i, f]) => ({ kind: "number", value: Number(f === undefined ? `${i}` : `${i}.${f}`), column: 0 }));

const tree: fc.Arbitrary<Expr> = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    literal,
    tie("expr").map((operand) => ({ kind: "negate", operand, column: 0 }) as Expr),
    fc
      .tuple(fc.constantFrom("+", "-", "*", "/", "^"), tie("expr"), tie("expr"))
      .map(([op, left, right]) => ({ kind: "binary", op, left, right, column: 0 }) as Expr),
  ),
})).expr;

function outcome(f: () => number): string {
  try {
    return `value ${Object.is(f(), -0) ? 0 : f()}`;
  } catch (err) {
    if (err instanceof CalcError) return `error ${err.problem}`;
    throw err;
  }
}

describe("examples/calc properties", () => {
  it("a printed random expression tree parses back to the same value (or the same error)", () => {
    fc.assert(
      fc.property(
        tree,
        fc.array(fc.constantFrom("", " ", "  "), { minLength: 1, maxLength: 8 }),
        (expr, spaces) => {
          let i = 0;
          const text = print(expr, () => spaces[i++ % spaces.length]!);
          fc.pre(text.length <= MAX_FORMULA_LENGTH);
          let parsed: Expr;
          try {
            parsed = parseFormula(text);
          } catch (err) {
            // Only the nesting limit may refuse a well-formed tree.
            if (err instanceof CalcError && err.problem.startsWith("nesting deeper")) return;
            throw err;
          }
          assert.equal(
            outcome(() => evaluate(parsed)),
            outcome(() => evaluate(expr)),
            text,
          );
        },
      ),
      { numRuns: 2000, seed: 42 },
    );
  });

  it("random strings only ever give a number or a CalcError, and quickly (bounded fuzz run)", () => {
    const alphabet = fc.constantFrom(
      ..."0123456789.+-*/^() \t".split(""),
      "x",
      "é",
      "\u0000",
      "1e9",
      "--",
      "((",
    );
    const strings = fc.oneof(
      fc.array(alphabet, { maxLength: 200 }).map((a) => a.join("")),
      fc.string({ maxLength: 200, unit: "binary" }),
      fc.constantFrom("(".repeat(5000), "-".repeat(999), "9".repeat(1000), `${"1+".repeat(499)}1`),
    );
    const started = Date.now();
    fc.assert(
      fc.property(strings, (s) => {
        try {
          const r = calculate(s);
          assert.ok(Number.isFinite(r), `${JSON.stringify(s)} gave ${r}`);
        } catch (err) {
          assert.ok(err instanceof CalcError, `${JSON.stringify(s)} threw ${String(err)}`);
          assert.ok(err.column >= 1 && err.column <= Math.max(s.length + 1, 1001), `column ${err.column}`);
        }
      }),
      { numRuns: 5000, seed: 7 },
    );
    // A generous bound: the point is "never hangs", not speed (that belongs to a benchmark).
    assert.ok(Date.now() - started < 15_000, "fuzz run took too long");
  });
});
