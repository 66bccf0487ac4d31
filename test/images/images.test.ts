// The example images: built offline by images/imageBuilder.ts from bundles, run as real containers.
// Containers publish their port on 127.0.0.1 as in production; only 127.0.0.1 is ever called.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { basicAuthHeader } from "../../examples/shared/basicAuth";
import { baseImage, buildImage } from "../../images/imageBuilder";
import { SHIPPED_NODE_MAJOR } from "../../images/imageCatalog";

const run = promisify(execFile);

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run("docker", args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Waits for the container's "listening" log line and returns its port. */
async function listeningPort(id: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const { stdout } = await run("docker", ["logs", id], { timeout: 10_000 });
    const m = /"port":(\d+),.*"msg":"listening"/.exec(stdout);
    if (m) return Number(m[1]);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`container ${id} never logged "listening": ${await docker("logs", id)}`);
}

interface RunningContainer {
  readonly id: string;
  readonly port: number;
  /** "bridge" when the port is published as in production; "host" when the engine has no bridge. */
  readonly network: "bridge" | "host";
}

/**
 * Runs an image with its container port published on loopback (`-p 127.0.0.1::port`). Engines
 * whose default bridge is missing (as on some sandboxed machines) cannot publish ports; there the
 * container shares the host's network on a free port (PORT=0), still reached only on 127.0.0.1.
 */
async function runContainer(
  image: string,
  containerPort: number,
  env: Record<string, string>,
  started: string[],
): Promise<RunningContainer> {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  try {
    const id = await docker("run", "-d", "-p", `127.0.0.1::${containerPort}`, ...envArgs, image);
    started.push(id);
    const mapping = await docker("port", id, `${containerPort}/tcp`);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(mapping)?.[1]);
    assert.ok(port > 0, `no published port in ${JSON.stringify(mapping)}`);
    await listeningPort(id);
    return { id, port, network: "bridge" };
  } catch (err) {
    const text = String((err as { stderr?: string }).stderr ?? err);
    if (!/bridge|docker0|endpoint/.test(text)) throw err;
    // The failed container was created; remove it before the second way.
    for (const id of (
      await docker("ps", "-aq", "--filter", `ancestor=${image}`, "--filter", "status=created")
    ).split("\n")) {
      if (id) await docker("rm", "-f", id).catch(() => "");
    }
    const id = await docker("run", "-d", "--network", "host", ...envArgs, "-e", "PORT=0", image);
    started.push(id);
    return { id, port: await listeningPort(id), network: "host" };
  }
}

/** Waits until Docker reports the container's HEALTHCHECK as healthy. */
async function waitHealthy(id: string): Promise<void> {
  let status = "";
  for (let i = 0; i < 60 && status !== "healthy"; i++) {
    status = await docker("inspect", "-f", "{{.State.Health.Status}}", id);
    if (status !== "healthy") await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(status, "healthy");
}

describe("examples images", function () {
  this.timeout(600_000);
  const suffix = `test-${randomBytes(4).toString("hex")}`;
  const tags: Record<string, string> = {};
  const containers: string[] = [];
  let base = "";

  before(async () => {
    base = await baseImage();
    for (const service of ["time", "calc", "portal"]) {
      tags[service] = await buildImage(service, { tag: `ecssd/${service}:${suffix}`, baseImage: base });
    }
  });

  after(async () => {
    for (const id of containers) await docker("rm", "-f", id).catch(() => "");
    for (const tag of Object.values(tags)) await docker("rmi", "-f", tag).catch(() => "");
  });

  it("builds small images that run as a non-root user, with a health check", async () => {
    const baseSize = Number(await docker("image", "inspect", "-f", "{{.Size}}", base));
    for (const [service, tag] of Object.entries(tags)) {
      const [user, size, health] = (
        await docker("image", "inspect", "-f", "{{.Config.User}}|{{.Size}}|{{json .Config.Healthcheck}}", tag)
      ).split("|");
      assert.equal(user, "1000", service);
      // Only the bundle (and for time the tz database, about 2 MB) sits on top of the base image.
      assert.ok(
        Number(size) - baseSize < 5 * 1024 * 1024,
        `${service} adds ${Number(size) - baseSize} bytes`,
      );
      assert.match(health ?? "", /\/health/, service);
    }
  });

  it("runs Node.js 24 inside every image", async () => {
    for (const [service, tag] of Object.entries(tags)) {
      const version = await docker("run", "--rm", "--entrypoint", "node", tag, "-p", "process.versions.node");
      assert.match(version, new RegExp(`^${SHIPPED_NODE_MAJOR}\\.`), service);
    }
  });

  it("runs the calc container and answers over its published port, saying which container answered", async () => {
    const c = await runContainer(
      tags.calc!,
      8081,
      { AUTH_USERNAME: "admin", AUTH_PASSWORD: "password", DRAIN_MS: "300" },
      containers,
    );
    if (c.network === "bridge") await waitHealthy(c.id); // the image's HEALTHCHECK on its own port
    const auth = { authorization: basicAuthHeader("admin", "password") };
    const res = await fetch(`http://127.0.0.1:${c.port}/calc/${encodeURIComponent("2^10/4")}`, {
      headers: auth,
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.result, 256);
    assert.equal(body.container, c.id.slice(0, 12));
    const denied = await fetch(`http://127.0.0.1:${c.port}/calc/1`);
    assert.equal(denied.status, 401);
    await denied.text();

    await docker("stop", "-t", "10", c.id);
    assert.equal(await docker("inspect", "-f", "{{.State.ExitCode}}", c.id), "0");
  });

  it("runs the time container with the tz database's abbreviations", async () => {
    const c = await runContainer(
      tags.time!,
      8080,
      { AUTH_USERNAME: "admin", AUTH_PASSWORD: "password" },
      containers,
    );
    const port = c.port;
    const res = await fetch(`http://127.0.0.1:${port}/time/MST%20-07:00?tz=Asia/Tokyo`, {
      headers: { authorization: basicAuthHeader("admin", "password") },
    });
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.time, "JST +09:00");
  });
});
