// A change the coalescer forbids (403: a container over ECSSD_MAX_PORTS_PER_CONTAINER, a reserved service name)
// is isolated by the agent's sync loop and skipped, as a change Route53 refuses: the host's other changes go on.
// The real coalescer (core and HTTP API) over the local zone, the agent's CoalescerZone and SyncLoop.
import { strict as assert } from "node:assert";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { CoalescerZone } from "../../agent/coalescerZone";
import { type Log, SyncLoop } from "../../agent/syncLoop";
import { InvalidChangeBatchError } from "../../agent/zoneWriter";
import { type LocalZone, startLocalZone } from "../../local/zone";
import type { RecordSet } from "../../records";
import { type CoalescerServer, startCoalescerServer } from "../coalescer/support/coalescerServer";
import { srvRecord } from "../coalescer/support/records";
import { zoneRecords } from "../kit/agentFixtures";
import { route53For } from "../kit/awsClients";

const HOST = "host-a";

describe("agent through the coalescer: a change it forbids holds back no other", function () {
  this.timeout(30_000);
  let zone: LocalZone;
  let server: CoalescerServer;
  let loop: SyncLoop | undefined;

  beforeEach(async () => {
    zone = await startLocalZone();
    // The coalescer's cap below the agent's: one container of the agent's publishes more than it takes.
    server = await startCoalescerServer(zone, { maxPortsPerContainer: 2 });
  });
  afterEach(async () => {
    await loop?.stop();
    loop = undefined;
    await server.close();
    await zone.close();
  });

  it("skips an over-cap container's extra set and a reserved service name, and writes every other change", async () => {
    const log: Log = { debug() {}, info() {}, warn() {}, error() {} };
    loop = new SyncLoop({
      zone: new CoalescerZone(server.api.url, HOST),
      hostId: HOST,
      flushMs: 0,
      log,
      backoff: { baseMs: 1, capMs: 20 },
    });
    const instance = (container: number, name: string): RecordSet => ({
      ...srvRecord({ hostId: HOST, container, hostPort: 30_000 + container, zone: zone.zoneName }),
      Name: `${name}.${zone.zoneName}`,
    });
    // Three ports of one container (Route53 keeps them apart by name here: their SetIdentifiers are the same).
    const overCap = ["_p1._tcp", "_p2._tcp", "_p3._tcp"].map((name) => instance(1, name));
    const reserved = instance(2, "_i-0abc1234def567890._tcp");
    const other = instance(3, "_calc._tcp");
    loop.setGroup("over-cap", overCap);
    loop.setGroup("reserved", [reserved]);
    loop.setGroup("other", [other]);
    await loop.loadApplied();
    assert.equal(await loop.flush(20_000), true, "the loop converged, the forbidden changes skipped");

    const inZone = await zoneRecords(zone, route53For(zone));
    const key = (rs: RecordSet) => `${rs.Name}|${rs.SetIdentifier}`;
    const written = new Set(inZone.map((r) => r.split("|")).map(([name, , id]) => `${name}|${id}`));
    assert.ok(written.has(key(other)), "the other container's set is in the zone");
    assert.equal(
      overCap.filter((rs) => written.has(key(rs))).length,
      2,
      "the over-cap container's first two",
    );
    assert.ok(!written.has(key(reserved)), "no set under a reserved service name");
    assert.equal(loop.rejectedCount, 2, "one change skipped of each");
    assert.deepEqual(loop.pendingChanges(), []);
  });
});

describe("agent's coalescer client: a 403 that is no judgement of the changes", () => {
  it("stays a plain error, not a refused batch (a proxy's refusal is not the changes' fault)", async () => {
    const answers = [
      '{"error":"Forbidden","message":"not from this address"}',
      "<html>403 Forbidden</html>",
      '{"error":"BadRequest","message":"changes: at least one change"}',
    ];
    let next = 0;
    const server = http.createServer((_req, res) => {
      res.writeHead(403, { "Content-Type": "application/json" }).end(answers[next++]);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const client = new CoalescerZone(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, HOST);
      for (const answer of answers)
        await assert.rejects(
          client.change([
            {
              action: "CREATE",
              recordSet: srvRecord({ hostId: HOST, container: 1, hostPort: 1, zone: "z.internal" }),
            },
          ]),
          (err) => !(err instanceof InvalidChangeBatchError) && /answered 403/.test((err as Error).message),
          answer,
        );
    } finally {
      server.close();
    }
  });
});
