// The list of tests `npm run test:quick` leaves out stays true: every entry names a test file and what it
// needs, and a test file that imports a way to Docker, moto or Chromium is listed. (What this cannot see,
// such as the docker CLI run from a helper, the quick run refuses at run time: test/kit/quickRun.ts.)
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import needsEngine from "./needsEngine.json";

const repo = path.join(__dirname, "..", "..");

/** Imports that reach a Docker engine, moto's server or Chromium. */
const REACHES = [
  /^import Docker from "dockerode";/m,
  /from "[./]*(?:kit|support)\/(?:moto|browser|docker)";/,
  /from "[./]*(?:reconciler\/support|support)\/sharedMoto";/,
  /from "[./]*(?:test\/)?agent\/agentHarness";|from "\.\/agentHarness";/,
  // The docker CLI run directly (run, spawn, exec...: not a stand-in of that name made for a test), or the
  // scripts that make images with it.
  /\b(?:run|spawn|exec\w*)\(\s*"docker",|Script\("base-image\.sh"/,
];

function testFiles(dir: string): string[] {
  return fs.readdirSync(path.join(repo, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return testFiles(rel);
    return e.name.endsWith(".test.ts") ? [rel] : [];
  });
}

describe("the tests `npm run test:quick` leaves out (test/kit/needsEngine.json)", () => {
  const listed = needsEngine as Record<string, string>;

  it("names existing test files, each with what it needs: docker, moto or browser", () => {
    for (const [file, need] of Object.entries(listed)) {
      assert.ok(fs.existsSync(path.join(repo, file)), `${file} is listed but does not exist`);
      assert.match(need, /^(docker|moto|browser)$/, file);
    }
  });

  it("lists every test file that imports a way to Docker, moto or Chromium", () => {
    const unlisted = testFiles("test").filter(
      (f) => !(f in listed) && REACHES.some((r) => r.test(fs.readFileSync(path.join(repo, f), "utf8"))),
    );
    assert.deepEqual(unlisted, []);
  });
});
