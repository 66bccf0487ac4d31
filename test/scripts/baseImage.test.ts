// scripts/base-image.sh as the stack's parallel image builds meet it, under a temporary image name: three
// copies at once make one image, and a run killed half-way leaves nothing the next run trips on.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { killGroup, pathWithout, runScript, startScript, until } from "./prepareScripts";

const run = promisify(execFile);
const IMPORTING = "ecssd/node-base-importing";

async function imageId(name: string): Promise<string | undefined> {
  try {
    return (await run("docker", ["image", "inspect", "--format", "{{.Id}}", name])).stdout.trim();
  } catch {
    return undefined;
  }
}
async function importingTags(): Promise<string[]> {
  const { stdout } = await run("docker", ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", IMPORTING]);
  return stdout.split("\n").filter(Boolean);
}
async function nodeVersionIn(image: string): Promise<string> {
  return (await run("docker", ["run", "--rm", "--network", "none", image, "node", "-v"])).stdout.trim();
}

describe("scripts/base-image.sh", function () {
  this.timeout(300_000);
  let name: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    name = `ecssd-test/node-base:${randomBytes(4).toString("hex")}`;
    // The normal image is named as one that no registry has, so that the script makes its own.
    env = {
      ...process.env,
      ECSSD_LOCAL_BASE_IMAGE: name,
      ECSSD_NORMAL_BASE_IMAGE: `ecssd-test/absent-${randomBytes(4).toString("hex")}:none`,
    };
  });
  afterEach(async () => {
    await run("docker", ["image", "rm", "-f", name]).catch(() => undefined);
  });

  it("three copies at once print the same image, made once, that runs node", async () => {
    const runs = await Promise.all([1, 2, 3].map(() => runScript("base-image.sh", [], env)));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      runs.map((r) => r.stdout.trim()),
      [name, name, name],
    );
    assert.match(await nodeVersionIn(name), /^v24\./);
    assert.ok(runs.filter((r) => r.stderr.includes("waiting for another run")).length >= 1);
    assert.deepEqual(await importingTags(), []);
  });

  it("without flock: three at once make one image and leave no lock folder behind", async () => {
    const locks = mkdtempSync(join(tmpdir(), "ecssd-locks-"));
    try {
      const noFlock = { ...env, PATH: pathWithout(["flock"]), ECSSD_MACHINE_LOCK_DIR: locks };
      const runs = await Promise.all([1, 2, 3].map(() => runScript("base-image.sh", [], noFlock)));
      for (const r of runs) assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        runs.map((r) => r.stdout.trim()),
        [name, name, name],
      );
      assert.deepEqual(readdirSync(locks), [], "the lock folder is released by the run that made the image");
      assert.deepEqual(await importingTags(), []);
    } finally {
      rmSync(locks, { recursive: true, force: true });
    }
  });

  it("a run killed half-way leaves no image under the name, and the next run makes a whole one", async () => {
    const first = startScript("base-image.sh", [], env);
    // Killed at its last step, the import, when one is seen; otherwise wherever it has got to.
    await until("the import to start", 120_000, async () => (await importingTags()).length > 0).catch(
      () => undefined,
    );
    killGroup(first.child);
    await first.done;
    assert.equal(await imageId(name), undefined, "a killed run must not leave an image under the real name");

    const again = await runScript("base-image.sh", [], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), name);
    assert.match(await nodeVersionIn(name), /^v24\./);
    assert.deepEqual(await importingTags(), [], "the killed run's import is removed");
  });
});
