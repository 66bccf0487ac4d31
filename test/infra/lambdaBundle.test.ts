import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { bundleLambda } from "../../infra/lambdaBundle";
import { isRuntimeSupported, LAMBDA_NODE_RUNTIMES, RECONCILER_RUNTIME } from "../../infra/lambdaRuntime";

const FIXTURES = path.join(__dirname, "fixtures");
const REPO_ROOT = path.join(__dirname, "..", "..");

/** Loads CommonJS code the way Lambda would, resolving externals from the repository's node_modules. */
function loadBundle(code: string): { handler: (event: unknown) => Promise<unknown> } {
  const filename = path.join(REPO_ROOT, "lambda-bundle-under-test.js");
  const m = new Module(filename) as Module & { _compile(code: string, filename: string): void };
  m.filename = filename;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(REPO_ROOT);
  m._compile(code, filename);
  return m.exports as { handler: (event: unknown) => Promise<unknown> };
}

describe("bundleLambda", () => {
  it("bundles an entry and its local imports into one CommonJS file whose handler runs", async () => {
    // Prepare / Act
    const bundle = bundleLambda(path.join(FIXTURES, "lambdaEntry.ts"), { target: "node24" });
    // Assess
    assert.equal(bundle.fileName, "index.js");
    assert.match(bundle.code, /hello, /, "the local module is inlined");
    const { handler } = loadBundle(bundle.code);
    assert.deepEqual(await handler({ name: "ecssd" }), { message: "hello, ecssd", sdkClient: "function" });
  });

  it("leaves the AWS SDK v3 to the Lambda runtime", () => {
    const { code } = bundleLambda(path.join(FIXTURES, "lambdaEntry.ts"), { target: "node24" });
    assert.match(code, /require\("@aws-sdk\/client-ecs"\)/);
    assert.doesNotMatch(code, /class ECSClient/);
    assert.ok(code.length < 20_000, `bundle is ${code.length} bytes`);
  });

  it("gives the same code and hash for the same input, so an unchanged handler is not redeployed", () => {
    const a = bundleLambda(path.join(FIXTURES, "lambdaEntry.ts"), { target: "node24" });
    const b = bundleLambda(path.join(FIXTURES, "lambdaEntry.ts"), { target: "node24" });
    assert.equal(a.code, b.code);
    assert.match(a.sha256, /^[0-9a-f]{64}$/);
    assert.equal(a.sha256, b.sha256);
  });

  it("names a missing entry point", () => {
    assert.throws(
      () => bundleLambda(path.join(FIXTURES, "noSuchEntry.ts"), { target: "node24" }),
      /bundleLambda: entry point not found: .*noSuchEntry\.ts/,
    );
  });

  it("fails on code that does not compile, naming the file", () => {
    // Written at test time: an unparseable file in the tree would break the type check and the linter.
    const dir = mkdtempSync(path.join(tmpdir(), "ecssd-bundle-"));
    try {
      const entry = path.join(dir, "brokenEntry.ts");
      writeFileSync(entry, "export const handler = async ( => 1;\n");
      assert.throws(() => bundleLambda(entry, { target: "node24" }), /brokenEntry\.ts/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("bundles the real reconciler handler", () => {
    const bundle = bundleLambda(path.join(REPO_ROOT, "reconciler", "handler.ts"), {
      target: LAMBDA_NODE_RUNTIMES[RECONCILER_RUNTIME].esbuildTarget,
    });
    assert.match(bundle.code, /require\("@aws-sdk\/client-route-53"\)/);
    // What stays a relative require is only optional native addons (see bundleLambda).
    const relative = bundle.code.match(/require\("\.\.?\/[^"]*"\)/g) ?? [];
    assert.ok(
      relative.every((r) => r.endsWith('.node")')),
      `local modules left out: ${relative.join(", ")}`,
    );
  });
});

describe("Lambda runtimes", () => {
  const cases: [runtime: string, now: string, supported: boolean][] = [
    ["nodejs22.x", "2026-11-25", true],
    ["nodejs22.x", "2027-04-30", false],
    ["nodejs20.x", "2026-04-29", true],
    ["nodejs20.x", "2026-11-25", false],
    ["nodejs24.x", "2027-06-01", true],
    ["nodejs16.x", "2023-01-01", false],
    ["python3.12", "2026-01-01", false],
  ];
  for (const [runtime, now, supported] of cases) {
    it(`${runtime} on ${now} is ${supported ? "" : "not "}supported`, () => {
      assert.equal(isRuntimeSupported(runtime, new Date(`${now}T12:00:00Z`)), supported);
    });
  }

  it("the reconciler's bundle targets the Node.js version of its runtime", () => {
    assert.equal(
      LAMBDA_NODE_RUNTIMES[RECONCILER_RUNTIME].esbuildTarget,
      `node${RECONCILER_RUNTIME.match(/\d+/)?.[0]}`,
    );
  });
});
