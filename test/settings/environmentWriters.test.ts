// The Pulumi program, the local stack and the benchmarks write a component's environment only through its codec
// (agentEnvironment, coalescerEnvironment, reconcilerEnvironment, registrarEnvironment), which takes each
// variable's name from the component's settings table. A variable written by hand (`ECSSD_ZONE_NAME: ...`) skips
// the table's checks and drifts when the table changes; this finds any, in the code (not the comments) of those
// folders, by reading each file's syntax tree.
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import ts from "typescript";

const ROOT = path.join(__dirname, "..", "..");
const WRITERS = ["infra", "local/stack", "bench"];
const VARIABLE = /^ECSSD_[A-Z0-9_]+$/;

function typescriptFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return typescriptFiles(relative);
    return entry.name.endsWith(".ts") ? [relative] : [];
  });
}

/** The text of a property name or key written as a literal, else undefined. */
function literalName(node: ts.Node): string | undefined {
  return ts.isIdentifier(node) || ts.isStringLiteralLike(node) ? node.text : undefined;
}

/**
 * Each place in `file` that writes an ECSSD_ variable by name: an object key (`ECSSD_X: v`), an assignment to
 * `env.ECSSD_X` or `env["ECSSD_X"]`, or a container definition's `{ name: "ECSSD_X", value }` entry.
 */
function handWrittenVariables(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const at = (node: ts.Node, name: string) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    found.push(`${file}:${line + 1} ${name}`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAssignment(node)) {
      const key = literalName(node.name);
      if (key !== undefined && VARIABLE.test(key)) at(node, key);
      const value = ts.isStringLiteralLike(node.initializer) ? node.initializer.text : undefined;
      if (key === "name" && value !== undefined && VARIABLE.test(value)) at(node, value);
    } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const target = node.left;
      const name = ts.isPropertyAccessExpression(target)
        ? target.name.text
        : ts.isElementAccessExpression(target)
          ? literalName(target.argumentExpression)
          : undefined;
      if (name !== undefined && VARIABLE.test(name)) at(node, name);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("components' environments are written through their codecs", () => {
  it("finds a variable written by hand in each of the ways it looks for", () => {
    const sample = [
      "const a = { ECSSD_ZONE_NAME: zone };",
      'const b = { "ECSSD_ZONE_ID": id };',
      "env.ECSSD_HOST_ID = id;",
      'env["ECSSD_FLUSH_MS"] = "75";',
      'const c = [{ name: "ECSSD_ROUTING", value: "weighted" }];',
      "// ECSSD_SRV_TTL: a comment says what a variable means, and writes nothing",
      'const d = { description: "reads ECSSD_COALESCER_TOKEN", name: "coalescer" };',
    ].join("\n");
    assert.deepEqual(handWrittenVariables("sample.ts", sample), [
      "sample.ts:1 ECSSD_ZONE_NAME",
      "sample.ts:2 ECSSD_ZONE_ID",
      "sample.ts:3 ECSSD_HOST_ID",
      "sample.ts:4 ECSSD_FLUSH_MS",
      "sample.ts:5 ECSSD_ROUTING",
    ]);
  });

  it(`no ECSSD_ variable is written by hand in ${WRITERS.join(", ")}`, () => {
    const files = WRITERS.flatMap(typescriptFiles);
    assert.ok(files.length > 20, `read only ${files.length} files`);
    const found = files.flatMap((file) =>
      handWrittenVariables(file, readFileSync(path.join(ROOT, file), "utf8")),
    );
    assert.deepEqual(found, [], "write these through the component's xEnvironment(settings)");
  });
});
