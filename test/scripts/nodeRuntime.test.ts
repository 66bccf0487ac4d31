// scripts/node-runtime.sh as the stack's parallel image builds and CI meet it: three copies at once against
// an empty runtimes folder, and a run killed half-way through its install, then run again.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { killGroup, pathWithout, runScript, startScript, until } from "./prepareScripts";

const MAJOR = "24";

describe("scripts/node-runtime.sh", function () {
  this.timeout(240_000);
  let runtimes: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    runtimes = mkdtempSync(join(tmpdir(), "ecssd-runtimes-"));
    env = { ...process.env, ECSSD_NODE_RUNTIMES: runtimes };
  });
  afterEach(() => rmSync(runtimes, { recursive: true, force: true }));

  const versionOf = (bin: string) => execFileSync(bin, ["-v"], { encoding: "utf8" }).trim();
  const leftovers = () => readdirSync(runtimes).filter((name) => name.includes(".installing."));

  it("three copies at once into an empty folder all print the same working binary", async () => {
    const runs = await Promise.all([1, 2, 3].map(() => runScript("node-runtime.sh", [MAJOR], env)));
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    const paths = runs.map((run) => run.stdout.trim());
    assert.deepEqual(new Set(paths).size, 1, `different paths: ${paths.join(", ")}`);
    assert.equal(paths[0], join(runtimes, MAJOR, "node_modules", "node", "bin", "node"));
    assert.match(versionOf(paths[0] ?? ""), new RegExp(`^v${MAJOR}\\.`));
    assert.deepEqual(leftovers(), []);
    // Only one of them installed: the others said they waited.
    assert.ok(runs.filter((run) => run.stderr.includes("waiting for another run")).length >= 1);
  });

  it("an install killed half-way is detected and replaced by the next run", async () => {
    const first = startScript("node-runtime.sh", [MAJOR], env);
    // Killed while npm is writing the package into its work folder.
    await until("the install to begin writing", 120_000, () =>
      leftovers().some((dir) => existsSync(join(runtimes, dir, "node_modules"))),
    );
    killGroup(first.child);
    await first.done;
    assert.ok(!existsSync(join(runtimes, MAJOR)), "a killed install must not stand in the target's place");
    assert.notDeepEqual(leftovers(), [], "the killed run's work folder is what the next run must clear");

    const again = await runScript("node-runtime.sh", [MAJOR], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(versionOf(again.stdout.trim()), new RegExp(`^v${MAJOR}\\.`));
    assert.deepEqual(leftovers(), []);
  });

  it("an unusable install in the target's place (another version, or no binary) is replaced", async () => {
    const bin = join(runtimes, MAJOR, "node_modules", "node", "bin", "node");
    mkdirSync(dirname(bin), { recursive: true });
    writeFileSync(bin, "#!/bin/sh\necho v20.0.0\n");
    chmodSync(bin, 0o755);
    const run = await runScript("node-runtime.sh", [MAJOR], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(versionOf(run.stdout.trim()), new RegExp(`^v${MAJOR}\\.`));
  });

  it("without flock: a run killed holding the lock folder is taken over at once, and none is left", async () => {
    const noFlock = { ...env, PATH: pathWithout(["flock"]) };
    const lockFolder = join(runtimes, `.${MAJOR}.lock.d`);
    const first = startScript("node-runtime.sh", [MAJOR], noFlock);
    await until("the first run to hold the lock folder", 30_000, () => existsSync(join(lockFolder, "pid")));
    killGroup(first.child);
    await first.done;
    assert.ok(existsSync(lockFolder), "SIGKILL leaves the folder: what the next runs meet");

    const runs = await Promise.all([1, 2, 3].map(() => runScript("node-runtime.sh", [MAJOR], noFlock)));
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    assert.equal(new Set(runs.map((run) => run.stdout.trim())).size, 1);
    assert.match(versionOf(runs[0]?.stdout.trim() ?? ""), new RegExp(`^v${MAJOR}\\.`));
    // The killed run's pid is never named: its folder was taken over, not waited for.
    for (const run of runs) assert.doesNotMatch(run.stderr, new RegExp(`pid ${first.child.pid}\\)`));
    assert.ok(!existsSync(lockFolder), "the lock folder is released by the run that installed");
    assert.deepEqual(leftovers(), []);
  });

  it("refuses what is not a major version number, clearly", async () => {
    const run = await runScript("node-runtime.sh", ["24.1"], env);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /'24\.1' is not a major version number/);
  });
});
