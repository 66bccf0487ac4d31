import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";

const ecssd = path.join(__dirname, "..", "..", "bin", "ecssd.js");

describe("ecssd command line", () => {
  it("lists every subcommand in --help", () => {
    const out = execFileSync(process.execPath, [ecssd, "--help"], { encoding: "utf8" });
    for (const sub of ["zone", "agent", "reconcile", "resolve", "stack"]) {
      assert.match(out, new RegExp(`^\\s+${sub}\\b`, "m"), `--help should list ${sub}`);
    }
  });
});
