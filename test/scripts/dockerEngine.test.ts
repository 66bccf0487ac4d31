// scripts/docker-engine.sh as `npm start`, `npm test` and CI meet it on a machine without an engine: three
// at once, with flock and with the lock folder, and runs killed half-way. No real engine is touched: docker,
// dockerd, apt-get, dpkg, pgrep and id are stand-ins first on PATH (the real ones hidden), which write what
// they were asked to a log, and DOCKER_HOST names a socket that does not exist.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { killGroup, pathWithout, runScript, startScript, until } from "./prepareScripts";

const REAL_ONES = ["docker", "dockerd", "apt-get", "dpkg", "dpkg-query", "pgrep", "id"];

/** The stand-ins, in `bin`; each appends what it was asked to `calls`. */
function writeStandIns(stubs: string): void {
  const bin = join(stubs, "bin");
  const calls = join(stubs, "calls");
  const script = (name: string, body: string, folder = bin) => {
    writeFileSync(join(folder, name), `#!/bin/sh\necho "${name} $*" >>${calls}\n${body}\n`);
    chmodSync(join(folder, name), 0o755);
  };
  execFileSync("mkdir", ["-p", bin]);
  script("id", '[ "$1" = -u ] && echo 0');
  // The engine answers once the stand-in dockerd says it is up.
  script("docker", `[ "$1" = info ] && [ -f ${stubs}/engine-up ]`);
  script("dpkg", "exit 0");
  script("dpkg-query", `[ -f ${stubs}/installed-"$4" ] && printf 'install ok installed'`);
  script(
    "pgrep",
    `[ "$*" = "-x dockerd" ] && [ -f ${stubs}/dockerd.pid ] && kill -0 "$(cat ${stubs}/dockerd.pid)"`,
  );
  // The stand-in dockerd, which answers after `up-after` seconds, is what installing docker.io gives.
  script(
    "dockerd",
    `echo $$ >${stubs}/dockerd.pid\nsleep "$(cat ${stubs}/up-after)"\ntouch ${stubs}/engine-up\nexec sleep 120`,
    stubs,
  );
  script(
    "apt-get",
    `case "$*" in *install*docker.io*)
  sleep 1
  cp ${stubs}/dockerd ${bin}/dockerd
  touch ${stubs}/installed-docker.io;;
esac`,
  );
  writeFileSync(join(stubs, "up-after"), "1\n");
}

describe("scripts/docker-engine.sh (with stand-ins for docker, dockerd and apt)", () => {
  let stubs: string;
  let calls: () => string[];

  before(() => {
    pathWithout(REAL_ONES);
    pathWithout([...REAL_ONES, "flock"]);
  });
  beforeEach(() => {
    stubs = mkdtempSync(join(tmpdir(), "ecssd-engine-"));
    writeStandIns(stubs);
    calls = () =>
      (existsSync(join(stubs, "calls")) ? readFileSync(join(stubs, "calls"), "utf8") : "").split("\n");
  });
  afterEach(() => {
    const pid = join(stubs, "dockerd.pid");
    if (existsSync(pid)) {
      try {
        process.kill(Number(readFileSync(pid, "utf8")), "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    rmSync(stubs, { recursive: true, force: true });
  });

  const envWith = (hidden: string[]): NodeJS.ProcessEnv => ({
    ...process.env,
    PATH: [join(stubs, "bin"), pathWithout(hidden)].join(delimiter),
    DOCKER_HOST: `unix://${join(stubs, "no-engine.sock")}`,
    ECSSD_MACHINE_LOCK_DIR: join(stubs, "locks"),
    ECSSD_DOCKERD_LOG: join(stubs, "dockerd.log"),
  });
  const count = (prefix: string) => calls().filter((line) => line.startsWith(prefix)).length;

  it("finds the stand-ins first and no real docker, dockerd or apt", () => {
    const found = execFileSync("bash", ["-c", `command -v ${REAL_ONES.join(" ")} || true`], {
      env: envWith(REAL_ONES),
      encoding: "utf8",
    });
    const paths = found.trim().split("\n");
    assert.deepEqual(
      paths,
      REAL_ONES.filter((name) => name !== "dockerd").map((name) => join(stubs, "bin", name)),
    );
  });

  for (const [how, hidden] of [
    ["with flock", REAL_ONES],
    ["without flock (the lock folder)", [...REAL_ONES, "flock"]],
  ] as const) {
    it(`three at once ${how}: docker.io installed once, dockerd started once, all exit 0`, async () => {
      const runs = await Promise.all(
        [1, 2, 3].map(() => runScript("docker-engine.sh", [], envWith([...hidden]))),
      );
      for (const run of runs) assert.equal(run.code, 0, run.stderr);
      assert.equal(count("apt-get install"), 1, calls().join("\n"));
      assert.equal(count("dockerd"), 1, calls().join("\n"));
      assert.ok(runs.filter((run) => run.stderr.includes("waiting for another run")).length >= 1);
      assert.deepEqual(
        readdirSync(join(stubs, "locks")).filter((name) => name.endsWith(".d")),
        [],
        "no lock folder left",
      );
    });
  }

  it("a run killed while dockerd starts: the next waits for that dockerd instead of starting another", async () => {
    writeFileSync(join(stubs, "up-after"), "3\n");
    const env = envWith([...REAL_ONES]);
    const first = startScript("docker-engine.sh", [], env);
    await until("dockerd to be started", 10_000, () => count("dockerd") === 1);
    killGroup(first.child);
    await first.done;
    assert.ok(!existsSync(join(stubs, "engine-up")), "killed before the engine answered");

    const next = await runScript("docker-engine.sh", [], env);
    assert.equal(next.code, 0, next.stderr);
    assert.doesNotMatch(next.stderr, /starting dockerd/);
    assert.equal(count("dockerd"), 1, calls().join("\n"));
  });

  it("a run killed during the package install: the next finishes dpkg's work and installs again", async () => {
    const env = envWith([...REAL_ONES]);
    const first = startScript("docker-engine.sh", [], env);
    await until("the install to start", 10_000, () => count("apt-get install") === 1);
    killGroup(first.child);
    await first.done;

    const next = await runScript("docker-engine.sh", [], env);
    assert.equal(next.code, 0, next.stderr);
    assert.equal(count("apt-get install"), 2, calls().join("\n"));
    assert.ok(calls().includes("dpkg --configure -a"), "the interrupted install is finished first");
    assert.equal(count("dockerd"), 1);
  });
});
