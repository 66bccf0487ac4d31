// The agent as users run it: `ecssd agent`, `agent sync`, `agent remove` as processes, and the agent's
// container image against the machine's Docker engine. Assertions go through DNS and the zone's API.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { Route53Client } from "@aws-sdk/client-route-53";
import { buildImage } from "../../images/imageBuilder";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { zoneRecords } from "../kit/agentFixtures";
import { route53For } from "../kit/awsClients";
import { digShortCanonical } from "../kit/dig";
import { baseImage, DockerCli, RUN_ID } from "../kit/docker";
import { eventually } from "../kit/eventually";
import { SERVE_FOREVER } from "./agentHarness";

const run = promisify(execFile);
const ecssd = path.join(__dirname, "..", "..", "bin", "ecssd.js");

describe("agent processes and image", function () {
  this.timeout(60_000);
  const docker = new DockerCli();
  let image: string;
  let zone: LocalZone;
  let client: Route53Client;
  const children: ChildProcess[] = [];
  const env = (hostId: string) => ({
    ...process.env,
    ECSSD_ZONE_NAME: zone.zoneName,
    ECSSD_ROUTE53_ENDPOINT: zone.apiUrl,
    ECSSD_HOST_ID: hostId,
    ECSSD_HOST_IP: "127.0.0.1",
    ECSSD_FLUSH_MS: "50",
    LOG_LEVEL: "info",
  });
  const ours = async (hostId: string) =>
    (await zoneRecords(zone, client)).filter((r) => r.includes(`|ecssd1:${hostId}`));

  before(async function () {
    this.timeout(300_000);
    image = await baseImage();
    zone = await startLocalZone();
    client = route53For(zone);
  });
  after(async function () {
    this.timeout(120_000);
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await docker.removeOurs();
    await docker.exec(["rmi", "-f", `ecssd/agent:test-${RUN_ID}`]).catch(() => {});
    await zone.close();
  });

  it("`agent sync` converges once and exits 0; `agent remove` deletes only this host's records", async () => {
    const hostId = `sync-${RUN_ID}`;
    const s = `_sync${RUN_ID}._tcp`;
    await docker.runContainer(
      image,
      ["-e", `SERVICE_8081_NAME=${s}`, "-p", "127.0.0.1::8081"],
      SERVE_FOREVER,
    );
    await run(process.execPath, [ecssd, "agent", "sync"], { env: env(hostId), timeout: 30_000 });
    assert.equal((await digShortCanonical(zone, "SRV", `${s}.${zone.zoneName}`)).length, 1);
    assert.equal((await digShortCanonical(zone, "A", `${hostId}.${zone.zoneName}`)).join(), "127.0.0.1");
    await run(process.execPath, [ecssd, "agent", "remove"], { env: env(hostId), timeout: 30_000 });
    assert.deepEqual(await ours(hostId), []);
    assert.deepEqual(await digShortCanonical(zone, "SRV", `${s}.${zone.zoneName}`), []);
  });

  it("`agent` refuses a bad configuration, naming every bad key", async () => {
    const err = await run(process.execPath, [ecssd, "agent", "--srv-ttl", "ten"], {
      env: { ...env("BAD_HOST"), ECSSD_ROUTING: "random" },
      timeout: 30_000,
    }).then(
      () => assert.fail("should exit non-zero"),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(err.code, 1);
    for (const key of ["--srv-ttl", "ECSSD_HOST_ID", "ECSSD_ROUTING"])
      assert.match(err.stderr, new RegExp(`\\[${key}\\]`));
  });

  it("`agent` keeps converging, logs JSON, and on SIGTERM flushes and exits 0 leaving records in place", async () => {
    const hostId = `run-${RUN_ID}`;
    const s = `_run${RUN_ID}._tcp`;
    const child = spawn(process.execPath, [ecssd, "agent"], {
      env: env(hostId),
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
    });
    await eventually(async () => out.includes('"action":"watch"'), 30_000, "agent watching");
    const id = await docker.runContainer(
      image,
      ["-e", `SERVICE_8081_NAME=${s}`, "-p", "127.0.0.1::8081"],
      SERVE_FOREVER,
    );
    await eventually(
      async () => (await digShortCanonical(zone, "SRV", `${s}.${zone.zoneName}`)).length === 1,
      10_000,
      "registered",
    );
    const exited = new Promise<number | null>((r) => child.once("exit", r));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    const lines = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(
      lines.some((l) => l.action === "register" && l.container === id.slice(0, 12) && l.service === s),
    );
    assert.ok(lines.some((l) => l.action === "stop"));
    const kept = (await ours(hostId)).filter((r) => r.startsWith(`${s}.`) || r.startsWith(`${hostId}.`));
    assert.equal(kept.length, 2, "host and instance records stay when the agent stops");
  });

  it("runs from its own image with the Docker socket mounted", async function () {
    this.timeout(180_000);
    const tag = await buildImage("agent", { baseImage: image, tag: `ecssd/agent:test-${RUN_ID}` });
    const hostId = `img-${RUN_ID}`;
    const s = `_img${RUN_ID}._tcp`;
    const agentId = await docker.runContainer(
      tag,
      [
        "--network",
        "host",
        "-v",
        "/var/run/docker.sock:/var/run/docker.sock",
        "-e",
        `ECSSD_ZONE_NAME=${zone.zoneName}`,
        "-e",
        `ECSSD_ROUTE53_ENDPOINT=${zone.apiUrl}`,
        "-e",
        `ECSSD_HOST_ID=${hostId}`,
        "-e",
        "ECSSD_HOST_IP=127.0.0.1",
        "-e",
        "SERVICE_IGNORE=true",
      ],
      [],
    );
    const id = await docker.runContainer(
      image,
      ["-e", `SERVICE_8081_NAME=${s}`, "-p", "127.0.0.1::8081"],
      SERVE_FOREVER,
    );
    const port = await docker.hostPort(id, "8081/tcp");
    await eventually(
      async () =>
        (await digShortCanonical(zone, "SRV", `${s}.${zone.zoneName}`)).join() ===
        `1 1 ${port} ${hostId}.${zone.zoneName}`,
      30_000,
      "registered by the containerised agent",
    );
    await docker.exec(["rm", "-f", id]);
    await eventually(
      async () => (await digShortCanonical(zone, "SRV", `${s}.${zone.zoneName}`)).length === 0,
      10_000,
      "deregistered",
    );
    await docker.exec(["stop", "-t", "10", agentId]);
    assert.equal(await docker.exec(["inspect", "-f", "{{.State.ExitCode}}", agentId]), "0");
  });
});
