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

  it("names every bad setting and exits 1 without starting", () => {
    const out = spawnSync(process.execPath, [ecssd, "coalescer"], {
      env: {
        PATH: process.env.PATH,
        ECSSD_COALESCER_PORT: "http",
        ECSSD_ROUTE53_BUDGET: "changes=0",
      },
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(out.status, 1);
    assert.match(out.stderr, /\[ECSSD_COALESCER_PORT\] must be an integer from 0 to 65535/);
    assert.match(out.stderr, /\[ECSSD_ROUTE53_BUDGET\] changes must be a share/);
  });
});
