import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { GetHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import { ROUTE53_LIMITS } from "../../../local/zone";
import { dig } from "../../kit/dig";

const ecssd = path.join(__dirname, "..", "..", "..", "bin", "ecssd.js");
const execFileAsync = promisify(execFile);

function readyLine(child: ChildProcess): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`no ready line within 15 s; stderr: ${err}`)), 15_000);
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, nl)));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before it was ready: ${err}`));
    });
  });
}

describe("ecssd zone", () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    child = undefined;
  });

  it("prints one JSON line when ready, serves the API and DNS, and stops cleanly on SIGTERM", async () => {
    child = spawn(
      process.execPath,
      [ecssd, "zone", "--api-port", "0", "--dns-port", "0", "--zone", "example.internal"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const ready = await readyLine(child);
    assert.deepEqual(Object.keys(ready).sort(), ["adminToken", "apiUrl", "dns", "hostedZoneId", "zone"]);
    assert.equal(ready.zone, "example.internal");
    assert.match(ready.apiUrl!, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(ready.dns!, /^127\.0\.0\.1:\d+$/);

    const client = new Route53Client({
      endpoint: ready.apiUrl,
      region: "us-east-1",
      credentials: { accessKeyId: "any", secretAccessKey: "any" },
      maxAttempts: 1,
    });
    const got = await client.send(new GetHostedZoneCommand({ Id: ready.hostedZoneId }));
    client.destroy();
    assert.equal(got.HostedZone?.Name, "example.internal.");
    const [host, port] = ready.dns!.split(":");
    const soa = await dig({ host: host!, port: Number(port) }, "SOA", "example.internal");
    assert.equal(soa.answer[0]?.type, "SOA");
    // The admin endpoint takes the token the zone printed, and only that.
    const stats = `${ready.apiUrl}/_admin/stats`;
    assert.equal((await fetch(stats)).status, 401);
    const withToken = await fetch(stats, { headers: { authorization: `Bearer ${ready.adminToken}` } });
    assert.deepEqual(await withToken.json(), { GetHostedZone: 1 });
    const faults = await fetch(`${ready.apiUrl}/_admin/faults`, {
      headers: { authorization: `Bearer ${ready.adminToken}` },
    });
    assert.deepEqual(await faults.json(), ROUTE53_LIMITS, "Route53's limits apply by default");

    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  });

  it("takes Route53's limits off with --no-route53-limits, and single figures from their flags", async () => {
    child = spawn(
      process.execPath,
      [
        ecssd,
        "zone",
        "--no-route53-limits",
        "--max-record-sets",
        "20",
        "--changes-per-second",
        "5",
        "--change-burst",
        "50",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const ready = await readyLine(child);
    const faults = await fetch(`${ready.apiUrl}/_admin/faults`, {
      headers: { authorization: `Bearer ${ready.adminToken}` },
    });
    assert.deepEqual(await faults.json(), { maxRecordSetsPerZone: 20, changesPerSecond: 5, changeBurst: 50 });
    child.kill("SIGTERM");
  });

  it("rejects a bad flag with an error naming it", async () => {
    const result = await execFileAsync(process.execPath, [ecssd, "zone", "--dns-port", "99999"]).then(
      () => ({ code: 0, stderr: "" }),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /--dns-port/);
    assert.match(result.stderr, /99999/);
  });

  it("refuses a host that is not an IP address, saying so", async () => {
    const result = await execFileAsync(process.execPath, [ecssd, "zone", "--host", "localhost"]).then(
      () => ({ code: 0, stderr: "" }),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /host must be an IP address.*"localhost"/);
  });
});
