// The coalescer's image as it ships: built offline by images/imageBuilder.ts, run as a real container on the
// host's network (it talks to the local zone on loopback, as it would to Route53), reached only on 127.0.0.1.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { promisify } from "node:util";
import { baseImage, buildImage } from "../../images/imageBuilder";
import { type LocalZone, ROUTE53_LIMITS, startLocalZone } from "../../local/zone";
import { eventually } from "../kit/eventually";

const run = promisify(execFile);

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run("docker", args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe("the coalescer's image", function () {
  this.timeout(600_000);
  const tag = `ecssd/coalescer:test-${randomBytes(4).toString("hex")}`;
  let zone: LocalZone;
  let container = "";

  before(async () => {
    zone = await startLocalZone({ faults: { ...ROUTE53_LIMITS } });
    await buildImage("coalescer", { tag, baseImage: await baseImage() });
  });

  after(async () => {
    if (container) await docker("rm", "-f", container).catch(() => "");
    await docker("rmi", "-f", tag).catch(() => "");
    await zone.close();
  });

  it("runs `ecssd coalescer`, reads the zone and serves its status; SIGTERM stops it cleanly", async () => {
    const port = await freePort();
    container = await docker(
      "run",
      "-d",
      "--network",
      "host",
      "-e",
      `ECSSD_ZONE_NAME=${zone.zoneName}`,
      "-e",
      `ECSSD_ROUTE53_ENDPOINT=${zone.apiUrl}`,
      "-e",
      "ECSSD_COALESCER_ADDRESS=127.0.0.1",
      "-e",
      `ECSSD_COALESCER_PORT=${port}`,
      "-e",
      "AWS_ACCESS_KEY_ID=local",
      "-e",
      "AWS_SECRET_ACCESS_KEY=local",
      tag,
    );
    const status = await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/v1/status`);
        assert.equal(res.status, 200);
        return (await res.json()) as { zoneId: string; zoneName: string; recordSets: number };
      },
      60_000,
      "the coalescer's status",
    );
    assert.equal(status.zoneId, zone.hostedZoneId);
    assert.equal(status.zoneName, zone.zoneName);
    assert.equal(status.recordSets, 2); // the apex SOA and NS
    await docker("stop", "-t", "40", container);
    assert.equal(await docker("inspect", "-f", "{{.State.ExitCode}}", container), "0");
    assert.match(await docker("logs", container), /coalescer stopped/);
  });
});
