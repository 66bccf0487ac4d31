// scripts/lib/venv.sh's python_venv, as setup-machine.sh builds the moto and parliament virtualenvs, against a
// package made here and installed offline (pip --no-index): three at once build it once, and one killed
// before its marker is built again by the next run.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killGroup, startSourced, until } from "./prepareScripts";

/** Writes a wheel of the package `ecssdprobe`, whose program `ecssd-probe` prints "probe ok", into `dir`. */
function writeProbeWheel(dir: string): void {
  const python = `
import base64, hashlib, sys, zipfile
files = {
    "ecssdprobe/__init__.py": "def main():\\n    print('probe ok')\\n",
    "ecssdprobe-1.0.dist-info/METADATA": "Metadata-Version: 2.1\\nName: ecssdprobe\\nVersion: 1.0\\n",
    "ecssdprobe-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: ecssd-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    "ecssdprobe-1.0.dist-info/entry_points.txt": "[console_scripts]\\necssd-probe = ecssdprobe:main\\n",
}
def digest(text):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
record = "".join(f"{name},{digest(text)},{len(text.encode())}\\n" for name, text in files.items())
files["ecssdprobe-1.0.dist-info/RECORD"] = record + "ecssdprobe-1.0.dist-info/RECORD,,\\n"
with zipfile.ZipFile(sys.argv[1] + "/ecssdprobe-1.0-py3-none-any.whl", "w") as wheel:
    for name, text in files.items():
        wheel.writestr(name, text)
`;
  execFileSync("python3", ["-c", python, dir]);
}

describe("scripts/lib/venv.sh: python_venv", function () {
  this.timeout(60_000);
  let dir: string;
  let venv: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ecssd-venv-"));
    writeProbeWheel(dir);
    venv = join(dir, ".venv-probe");
    env = {
      ...process.env,
      PIP_NO_INDEX: "1",
      PIP_FIND_LINKS: dir,
      PIP_DISABLE_PIP_VERSION_CHECK: "1",
    };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const start = () => startSourced(["lock", "venv"], 'python_venv "$1" ecssd-probe ecssdprobe', [venv], env);
  const probe = () => execFileSync(join(venv, "bin", "ecssd-probe"), { encoding: "utf8" }).trim();
  const marker = () => join(venv, ".ecssd-installed");

  it("three at once build the virtualenv once, and each returns with its program working", async () => {
    const runs = await Promise.all([1, 2, 3].map(() => start().done));
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    assert.equal(runs.filter((run) => run.stderr.includes("installing ecssdprobe")).length, 1);
    assert.ok(existsSync(marker()));
    assert.equal(probe(), "probe ok");
  });

  it("one killed before its marker is built again by the next run", async () => {
    const first = start();
    // Killed once the virtualenv exists and before pip has installed the package.
    await until("the virtualenv to be made", 15_000, () => existsSync(join(venv, "bin", "python")));
    killGroup(first.child);
    await first.done;
    assert.ok(!existsSync(marker()), "killed before its marker");
    assert.ok(!existsSync(join(venv, "bin", "ecssd-probe")), "killed before the package was installed");

    const next = await start().done;
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, /installing ecssdprobe into \.venv-probe/);
    assert.ok(existsSync(marker()));
    assert.equal(probe(), "probe ok");
  });

  it("a whole one is kept, and the next run returns at once", async () => {
    assert.equal((await start().done).code, 0);
    const started = Date.now();
    const again = await start().done;
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr, "");
    assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
  });
});
