// The host's AZ set, written by the real host agent into the local zone (a simulated Docker, no engine): from
// ECSSD_AZ_ID or from IMDSv2 (a loopback double), beside the host's A set, answered by the zone's DNS (dig),
// gone with the host's records; through Route53 and through the coalescer. Not knowing the AZ costs one log
// line and no set; a restart that is still asking keeps the set the zone holds.
import { strict as assert } from "node:assert";
import http from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import {
  type HostAgent,
  type HostAgentDeps,
  removeHostRecords,
  startHostAgent,
  syncHostOnce,
} from "../../agent/hostAgent";
import { SimulatedDocker } from "../../bench/support/simulatedDocker";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { type CoalescerServer, startCoalescerServer } from "../coalescer/support/coalescerServer";
import { agentConfig, calcContainer, zoneRecords } from "../kit/agentFixtures";
import { route53For } from "../kit/awsClients";
import { digShort } from "../kit/dig";
import { eventually } from "../kit/eventually";

const HOST = "i-0123456789abcdef0";

/**
 * An IMDSv2 double on loopback that answers `azId` (after `delayMs`; 500 to the first `failFirst` requests)
 * and counts the AZ requests.
 */
async function imdsDouble(
  azId: string,
  delayMs = 0,
  failFirst = 0,
): Promise<{ url: string; asked: () => number; close(): Promise<void> }> {
  let asked = 0;
  const server = http.createServer((req, res) => {
    if (req.method === "PUT" && req.url === "/latest/api/token") return void res.end("token");
    if (req.url === "/latest/meta-data/placement/availability-zone-id") {
      asked++;
      if (asked <= failFirst) {
        res.statusCode = 500;
        return void res.end();
      }
      setTimeout(() => res.end(azId), delayMs);
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    asked: () => asked,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Log lines kept in memory. */
function memoryLog(): { log: pino.Logger; lines: { level: number; msg: string; action?: string }[] } {
  const lines: { level: number; msg: string; action?: string }[] = [];
  const log = pino({ level: "debug" }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
}

describe("agent: the host's AZ set (ECSSD_AZ_ID, or asked of the metadata endpoints)", function () {
  this.timeout(60_000);
  let zone: LocalZone;
  let agent: HostAgent | undefined;
  let closers: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    zone = await startLocalZone();
  });
  afterEach(async () => {
    await agent?.stop(1_000);
    agent = undefined;
    for (const close of closers.reverse()) await close();
    closers = [];
    await zone.close();
  });

  const inZone = () => zoneRecords(zone, route53For(zone));
  const hostA = () => `${HOST}.${zone.zoneName}|A|ecssd1:${HOST}|127.0.0.1`;
  const hostAz = (azId: string) => `${HOST}.${zone.zoneName}|TXT|ecssd1:${HOST}|"az-id=${azId}"`;
  const srv = (id: string, port: number) =>
    `_calc._tcp.${zone.zoneName}|SRV|ecssd1:${HOST}:${id.slice(0, 24)}:8080|1 1 ${port} ${HOST}.${zone.zoneName}`;
  const start = (extra: Record<string, string>, deps: Partial<HostAgentDeps> = {}) =>
    startHostAgent(agentConfig(zone, HOST, { ECSSD_ECS_AGENT_URL: "off", ...extra }), {
      log: pino({ level: "silent" }),
      route53: route53For(zone),
      backoff: { baseMs: 50, capMs: 1000 },
      emf: { enabled: false },
      source: new SimulatedDocker(),
      ...deps,
    });

  it("writes ECSSD_AZ_ID's set beside the host's A set, answered by DNS, and removes both with the host", async () => {
    const docker = new SimulatedDocker();
    const id = "ab".repeat(32);
    docker.startContainer(calcContainer(id, 32768));
    agent = await start({ ECSSD_AZ_ID: "use1-az4" }, { source: docker });
    await eventually(async () => (await inZone()).length === 3, 20_000, "the agent's three sets in the zone");
    assert.deepEqual(await inZone(), [srv(id, 32768), hostA(), hostAz("use1-az4")].sort());
    // What a DNS client sees: the TXT at the SRV target's own name, its A beside it, unchanged by it.
    assert.deepEqual(await digShort(zone, "TXT", `${HOST}.${zone.zoneName}`), ['"az-id=use1-az4"']);
    assert.deepEqual(await digShort(zone, "A", `${HOST}.${zone.zoneName}`), ["127.0.0.1"]);
    const set = (
      await route53For(zone).send(
        new (
          await import("@aws-sdk/client-route-53")
        ).ListResourceRecordSetsCommand({
          HostedZoneId: zone.hostedZoneId,
          StartRecordName: `${HOST}.${zone.zoneName}`,
        }),
      )
    ).ResourceRecordSets?.filter((rs) => rs.Name?.startsWith(HOST));
    assert.deepEqual(
      set?.map((rs) => [rs.Type, rs.TTL, rs.MultiValueAnswer]),
      [
        ["A", 60, true],
        ["TXT", 60, true],
      ],
      "the AZ set has the A set's TTL and routing",
    );

    await agent.stop(5_000);
    agent = undefined;
    const removed = await removeHostRecords(agentConfig(zone, HOST, { ECSSD_ECS_AGENT_URL: "off" }), {
      log: pino({ level: "silent" }),
      route53: route53For(zone),
    });
    assert.deepEqual(removed, { converged: true, removed: 3 });
    assert.deepEqual(await inZone(), []);
    assert.deepEqual(await digShort(zone, "TXT", `${HOST}.${zone.zoneName}`), []);
  });

  it("asks IMDSv2 once when ECSSD_AZ_ID is unset, says where from, and writes what it answered", async () => {
    const imds = await imdsDouble("euw1-az2");
    closers.push(imds.close);
    const { log, lines } = memoryLog();
    agent = await start(
      { ECSSD_AZ_ID: "" },
      { log, availabilityZone: { env: {}, imdsBaseUrl: imds.url, timeoutMs: 2_000 } },
    );
    await eventually(
      async () => (await inZone()).includes(hostAz("euw1-az2")),
      20_000,
      "the AZ set in the zone",
    );
    assert.deepEqual(await inZone(), [hostA(), hostAz("euw1-az2")].sort());
    assert.equal(imds.asked(), 1);
    const said = lines.filter((l) => l.action === "availability-zone");
    assert.equal(said.length, 1);
    assert.match(said[0]?.msg ?? "", /runs in euw1-az2 \(from imds\)/);
  });

  it("writes no AZ set when no endpoint answers, in one warning line, and registers as before", async () => {
    const docker = new SimulatedDocker();
    const id = "cd".repeat(32);
    docker.startContainer(calcContainer(id, 32769));
    const { log, lines } = memoryLog();
    // A closed loopback port: IMDS refuses at once; no task metadata endpoint in this environment.
    const closed = await imdsDouble("unused");
    await closed.close();
    agent = await start(
      { ECSSD_AZ_ID: "" },
      { log, source: docker, availabilityZone: { env: {}, imdsBaseUrl: closed.url, timeoutMs: 500 } },
    );
    await eventually(
      () => lines.some((l) => l.action === "availability-zone"),
      20_000,
      "the line that says the AZ is unknown",
    );
    await eventually(async () => (await inZone()).length === 2, 20_000, "the host and its instance");
    await agent.loop.flush(5_000);
    assert.deepEqual(await inZone(), [srv(id, 32769), hostA()].sort());
    const said = lines.filter((l) => l.action === "availability-zone");
    assert.equal(said.length, 1);
    assert.equal(said[0]?.level, 40, "a warning");
    assert.match(
      said[0]?.msg ?? "",
      /cannot tell which AZ this host runs in \(ecs-task-metadata: ECS_CONTAINER_METADATA_URI_V4 is not set; imds: .+\); no AZ set is written/,
    );
  });

  it("keeps the AZ set the zone holds while a restarted agent is still asking, then writes what it learns", async () => {
    agent = await start({ ECSSD_AZ_ID: "use1-az4" });
    await eventually(async () => (await inZone()).includes(hostAz("use1-az4")), 20_000, "the first AZ set");
    await agent.stop(5_000);
    // The second agent's IMDS answers only after its first flush: its AZ set must never leave meanwhile.
    const imds = await imdsDouble("use1-az6", 1_500);
    closers.push(imds.close);
    agent = await start(
      { ECSSD_AZ_ID: "", ECSSD_FLUSH_MS: "0" },
      { availabilityZone: { env: {}, imdsBaseUrl: imds.url, timeoutMs: 5_000 } },
    );
    const seen = new Set<string>();
    const deadline = Date.now() + 20_000;
    for (;;) {
      const records = await inZone();
      for (const r of records) if (r.includes("|TXT|")) seen.add(r);
      assert.ok(
        records.some((r) => r.includes("|TXT|")),
        "the host had no AZ set for a moment while its agent was asking",
      );
      if (records.includes(hostAz("use1-az6"))) break;
      if (Date.now() > deadline) assert.fail("the learnt AZ never replaced the held one");
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.deepEqual([...seen].sort(), [hostAz("use1-az4"), hostAz("use1-az6")].sort());
    assert.deepEqual(await inZone(), [hostA(), hostAz("use1-az6")].sort());
  });

  it("keeps the AZ set the zone holds when a restarted agent cannot learn its AZ", async () => {
    agent = await start({ ECSSD_AZ_ID: "use1-az4" });
    await eventually(async () => (await inZone()).includes(hostAz("use1-az4")), 20_000, "the first AZ set");
    await agent.stop(5_000);
    const closed = await imdsDouble("unused");
    await closed.close();
    const { log, lines } = memoryLog();
    agent = await start(
      { ECSSD_AZ_ID: "", ECSSD_FLUSH_MS: "0" },
      { log, availabilityZone: { env: {}, imdsBaseUrl: closed.url, timeoutMs: 500 } },
    );
    await eventually(
      () => lines.some((l) => l.action === "availability-zone"),
      20_000,
      "the line that says the AZ is unknown",
    );
    assert.equal(await agent.loop.flush(5_000), true);
    assert.deepEqual(await inZone(), [hostA(), hostAz("use1-az4")].sort(), "a host never changes AZ");
    assert.match(
      lines.find((l) => l.action === "availability-zone")?.msg ?? "",
      /one the zone holds .* is kept/,
    );
    // Converging once asks only once, and keeps it too.
    await agent.stop(5_000);
    agent = undefined;
    const once = await syncHostOnce(
      agentConfig(zone, HOST, { ECSSD_ECS_AGENT_URL: "off", ECSSD_AZ_ID: "" }),
      {
        log: pino({ level: "silent" }),
        route53: route53For(zone),
        source: new SimulatedDocker(),
        availabilityZone: { env: {}, imdsBaseUrl: closed.url, timeoutMs: 500 },
      },
      10_000,
    );
    assert.equal(once.converged, true);
    assert.deepEqual(await inZone(), [hostA(), hostAz("use1-az4")].sort());
  });

  it("asks again in the background until the endpoint answers, then writes the AZ set, in one warning line", async () => {
    const imds = await imdsDouble("use1-az5", 0, 2);
    closers.push(imds.close);
    const { log, lines } = memoryLog();
    agent = await start(
      { ECSSD_AZ_ID: "" },
      {
        log,
        availabilityZone: { env: {}, imdsBaseUrl: imds.url, timeoutMs: 2_000 },
        availabilityZoneRetry: { firstMs: 50, capMs: 200 },
      },
    );
    await eventually(
      async () => (await inZone()).includes(hostAz("use1-az5")),
      20_000,
      "the AZ set, once the endpoint answers",
    );
    assert.deepEqual(await inZone(), [hostA(), hostAz("use1-az5")].sort());
    assert.equal(imds.asked(), 3, "asked until it answered, then no more");
    const said = lines.filter((l) => l.action === "availability-zone");
    assert.deepEqual(
      said.map((l) => l.level),
      [40, 30],
      "one warning while it fails, one line when it answers",
    );
    assert.match(
      said[0]?.msg ?? "",
      /asked again in the background \(after 0\.05 s, doubling up to 0\.2 s\)/,
    );
  });

  it("writes the AZ set through the coalescer too, and removes it with the host's records", async () => {
    const server: CoalescerServer = await startCoalescerServer(zone);
    closers.push(() => server.close());
    const config = { ECSSD_COALESCER_URL: server.api.url, ECSSD_AZ_ID: "use1-az1" };
    agent = await start(config);
    await eventually(
      async () => (await inZone()).includes(hostAz("use1-az1")),
      20_000,
      "the AZ set in the zone",
    );
    assert.deepEqual(await inZone(), [hostA(), hostAz("use1-az1")].sort());
    await agent.stop(5_000);
    agent = undefined;
    const removed = await removeHostRecords(
      agentConfig(zone, HOST, { ECSSD_ECS_AGENT_URL: "off", ...config }),
      { log: pino({ level: "silent" }) },
    );
    assert.deepEqual(removed, { converged: true, removed: 2 });
    assert.deepEqual(await inZone(), []);
  });
});
