// The README's two commands as a newcomer meets them: a fresh clone with no .node-runtimes/ and no locally
// made base image, `npm ci && npm start`, on the first try. It clones what is committed (HEAD), so run it
// after committing. Spare ports, another stack name and other awsvpc addresses keep it clear of a
// developer's own stack.
import { strict as assert } from "node:assert";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { killGroup, REPO_ROOT, runScript, until } from "./prepareScripts";

const run = promisify(execFile);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A port free for both TCP and UDP, as the zone's DNS server takes both (a free TCP port may be a busy UDP one). */
async function freeDnsPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    const socket = createSocket("udp4");
    const free = await new Promise<boolean>((resolve) => {
      socket.once("error", () => resolve(false));
      socket.bind(port, "127.0.0.1", () => resolve(true));
    });
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    if (free) return port;
  }
}

/** The environment of a newcomer's shell: none of the project's overrides, and the machine's own Node.js. */
function newcomerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    // npm's own settings (a registry mirror, say) stay: a newcomer's npm has them too.
    const npmRun = key.startsWith("npm_") && !key.startsWith("npm_config_");
    if (key === "BASE_IMAGE" || key.startsWith("ECSSD_") || npmRun) delete env[key];
  }
  env.PATH = (env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => !dir.includes(".node-runtimes") && !dir.includes("node_modules"))
    .join(delimiter);
  return env;
}

describe("a newcomer's first npm start (fresh clone, no runtimes, no base image)", function () {
  this.timeout(600_000);
  let clone: string;
  let start: ChildProcess | undefined;
  let output = "";
  const env = newcomerEnv();

  before(async () => {
    clone = mkdtempSync(join(tmpdir(), "ecssd-newcomer-"));
    await run("git", ["clone", "--quiet", REPO_ROOT, clone]);
    // The base image this machine made is removed, so the clone's stack must make it again, as on a new
    // machine. (The normal node image, where a machine has it, is used as it would be there.)
    const made = (await runScript("node-runtime.sh", ["24"], process.env)).stdout.trim();
    const version = (await run(made, ["-p", "process.versions.node"])).stdout.trim();
    await run("docker", ["image", "rm", "-f", `ecssd/node-base:${version}`]).catch(() => undefined);
  });

  after(async () => {
    if (start?.exitCode === null) {
      // `stack down` in the clone stops it, or removes what a stack that never came up left: it finds
      // them by the clone's stack name, never another folder's stack.
      await run("npx", ["ecssd", "stack", "down"], { cwd: clone, env }).catch(() => undefined);
      killGroup(start);
    }
    rmSync(clone, { recursive: true, force: true });
    // The tests after this one expect the base image this test removed; the clone made it again unless it failed.
    const base = await runScript("base-image.sh", [], process.env);
    assert.equal(base.code, 0, `the base image could not be made again: ${base.stderr}`);
  });

  it("npm ci && npm start brings the stack up, and npx ecssd stack down takes it down", async () => {
    assert.ok(!existsSync(join(clone, ".node-runtimes")));
    await run("npm", ["ci", "--no-audit", "--no-fund"], { cwd: clone, env, maxBuffer: 16 << 20 });

    const [apiPort, dnsPort, portalPort] = [await freePort(), await freeDnsPort(), await freePort()];
    start = spawn(
      "npm",
      [
        "start",
        "--",
        "--api-port",
        String(apiPort),
        "--dns-port",
        String(dnsPort),
        "--portal-port",
        String(portalPort),
        // One name for every run, so that a run's `stack up` clears what an earlier, killed run left.
        "--stack-name",
        "newcomer",
        "--awsvpc-prefix",
        "127.0.8.",
      ],
      { cwd: clone, env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<number | null>((resolve) => start?.on("close", resolve));
    start.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    start.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    await Promise.race([
      until("the stack to say it is up", 480_000, () => output.includes("The local stack is up")),
      exited.then((code) => assert.fail(`npm start exited (${code}) before the stack was up:\n${output}`)),
    ]);

    const { stdout } = await run("dig", [
      "@127.0.0.1",
      "-p",
      String(dnsPort),
      "+short",
      "SRV",
      "_calc._tcp.servicediscovery.internal",
    ]);
    assert.equal(stdout.trim().split("\n").filter(Boolean).length, 2, `dig: ${stdout}`);
    assert.ok(existsSync(join(clone, ".node-runtimes", "24")), "the clone installed its own Node.js 24");

    const down = await run("npx", ["ecssd", "stack", "down"], { cwd: clone, env });
    assert.match(down.stdout, /the local stack is down/);
    assert.equal(await exited, 0, output);
  });
});
