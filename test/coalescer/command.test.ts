// `ecssd coalescer` as an operator runs it: settings from the environment, the zone looked up by name, the API
// where its log line says, a clean stop on SIGTERM, and every bad setting named before anything starts.
import { strict as assert } from "node:assert";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { CoalescerZone } from "../../agent/coalescerZone";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { zoneRecords } from "../kit/agentFixtures";
import { route53For } from "../kit/awsClients";
import { agentA } from "./support/records";

const ecssd = path.join(__dirname, "..", "..", "bin", "ecssd.js");

/** The process's JSON log lines, as they come. */
function logLines(child: ChildProcess): AsyncIterable<string> {
  return createInterface({ input: child.stdout as NodeJS.ReadableStream });
}

async function lineWith(lines: AsyncIterator<string>, msg: string): Promise<Record<string, unknown>> {
  for (let r = await lines.next(); !r.done; r = await lines.next()) {
    const line = JSON.parse(r.value) as Record<string, unknown>;
    if (line.msg === msg) return line;
  }
  throw new Error(`the coalescer exited before logging "${msg}"`);
}

describe("ecssd coalescer", function () {
  this.timeout(60_000);
  let zone: LocalZone;

  before(async () => {
    zone = await startLocalZone();
  });
  after(() => zone.close());

  it("serves the agents where it says, and stops cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, [ecssd, "coalescer"], {
      env: {
        PATH: process.env.PATH,
        ECSSD_ZONE_NAME: zone.zoneName,
        ECSSD_ROUTE53_ENDPOINT: zone.apiUrl,
        ECSSD_COALESCER_ADDRESS: "127.0.0.1",
        ECSSD_COALESCER_PORT: "0",
        ECSSD_COALESCER_WINDOW_MS: "10",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const lines = logLines(child)[Symbol.asyncIterator]();
      const listening = await lineWith(lines, "coalescer listening");
      assert.equal(listening.zoneId, zone.hostedZoneId);
      const open = await lines.next();
      assert.match(
        String(JSON.parse(String(open.value)).msg),
        /no ECSSD_COALESCER_TOKEN: anyone who reaches this port may write any host's records/,
      );
      const client = new CoalescerZone(String(listening.url), "host-a");
      await client.change([{ action: "CREATE", recordSet: agentA("host-a", zone.zoneName) }]);
      assert.deepEqual(await zoneRecords(zone, route53For(zone)), [
        `host-a.${zone.zoneName}|A|ecssd1:host-a|127.0.0.1`,
      ]);
      child.kill("SIGTERM");
      await lineWith(lines, "coalescer stopped");
      assert.equal(await exited, 0);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("with a token, refuses callers without it, serves those with it, and logs it nowhere", async () => {
    const token = "coalescer-command-test-token-".padEnd(48, "z");
    const child = spawn(process.execPath, [ecssd, "coalescer"], {
      env: {
        PATH: process.env.PATH,
        ECSSD_ZONE_NAME: zone.zoneName,
        ECSSD_ROUTE53_ENDPOINT: zone.apiUrl,
        ECSSD_COALESCER_ADDRESS: "127.0.0.1",
        ECSSD_COALESCER_PORT: "0",
        ECSSD_COALESCER_TOKEN: token,
        LOG_LEVEL: "debug",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const seen: string[] = [];
    try {
      const lines = logLines(child)[Symbol.asyncIterator]();
      const record = async (msg: string) => {
        for (let r = await lines.next(); !r.done; r = await lines.next()) {
          seen.push(r.value);
          if ((JSON.parse(r.value) as { msg?: string }).msg === msg) return JSON.parse(r.value);
        }
        throw new Error(`the coalescer exited before logging "${msg}"`);
      };
      const listening = await record("coalescer listening");
      const res = await fetch(`${listening.url}/v1/status`);
      assert.equal(res.status, 401);
      const client = new CoalescerZone(String(listening.url), "host-t", { token });
      await client.change([{ action: "CREATE", recordSet: agentA("host-t", zone.zoneName) }]);
      await client.change([{ action: "DELETE", recordSet: agentA("host-t", zone.zoneName) }]);
      child.kill("SIGTERM");
      await record("coalescer stopped");
      assert.equal(await exited, 0);
    } finally {
      child.kill("SIGKILL");
    }
    assert.deepEqual(
      seen.filter((l) => l.includes("ECSSD_COALESCER_TOKEN")),
      [],
      "no warning of a missing token",
    );
    assert.ok(!seen.join("").includes(token) && !stderr.includes(token), "the token is in no log line");
  });

  it("names every bad setting and exits 1 without starting", () => {
    const out = spawnSync(process.execPath, [ecssd, "coalescer"], {
      env: {
        PATH: process.env.PATH,
        ECSSD_COALESCER_PORT: "http",
        ECSSD_ROUTE53_BUDGET: "changes=0",
        ECSSD_COALESCER_TOKEN: "short-secret-value",
      },
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(out.status, 1);
    assert.match(out.stderr, /\[ECSSD_COALESCER_PORT\] must be an integer from 0 to 65535/);
    assert.match(out.stderr, /\[ECSSD_ROUTE53_BUDGET\] changes must be a share/);
    assert.match(out.stderr, /\[ECSSD_COALESCER_TOKEN\] must be 32 to 512 characters long/);
    assert.ok(!out.stderr.includes("short-secret-value"), "a bad token is not quoted");
  });
});
