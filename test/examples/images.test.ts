// The example images: built offline by local/images.ts from bundles, run as real containers.
// Containers use the host's network stack on loopback (PORT=0, the port read from the log), so the
// test needs no Docker bridge and sends traffic only to 127.0.0.1.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { basicAuthHeader } from "../../examples/shared/basicAuth";
import { baseImage, buildImage } from "../../local/images";

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

  it("builds small images that run as a non-root user, with a health check for time and calc", async () => {
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
      if (service !== "portal") assert.match(health ?? "", /\/health/, service);
    }
  });

  it("runs the calc container and answers over its port, saying which container answered", async () => {
    const id = await docker(
      "run",
      "-d",
      "--network",
      "host",
      "-e",
      "PORT=0",
      "-e",
      "AUTH_USERNAME=admin",
      "-e",
      "AUTH_PASSWORD=password",
      "-e",
      "DRAIN_MS=300",
      tags.calc!,
    );
    containers.push(id);
    const port = await listeningPort(id);
    const auth = { authorization: basicAuthHeader("admin", "password") };
    const res = await fetch(`http://127.0.0.1:${port}/calc/${encodeURIComponent("2^10/4")}`, {
      headers: auth,
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.result, 256);
    assert.equal(body.container, id.slice(0, 12));
    const denied = await fetch(`http://127.0.0.1:${port}/calc/1`);
    assert.equal(denied.status, 401);
    await denied.text();

    await docker("stop", "-t", "10", id);
    assert.equal(await docker("inspect", "-f", "{{.State.ExitCode}}", id), "0");
  });

  it("runs the time container with the tz database's abbreviations", async () => {
    const id = await docker(
      "run",
      "-d",
      "--network",
      "host",
      "-e",
      "PORT=0",
      "-e",
      "AUTH_USERNAME=admin",
      "-e",
      "AUTH_PASSWORD=password",
      tags.time!,
    );
    containers.push(id);
    const port = await listeningPort(id);
    const res = await fetch(`http://127.0.0.1:${port}/time/MST%20-07:00?tz=Asia/Tokyo`, {
      headers: { authorization: basicAuthHeader("admin", "password") },
    });
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.time, "JST +09:00");
  });
});
