// `ecssd stack status` shows the zone's record sets against its quota (GetHostedZoneLimit on the local zone,
// with Route53's limits on as the stack runs it), in its lines and in its JSON, and says what to do when the
// zone is full; and the stack's coalescer (its URL and state), or that it runs none.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stackStatusLines } from "../../cli/commands/stack";
import { type StackCoalescer, startStackCoalescer } from "../../local/stack/stackCoalescer";
import { stackStatus } from "../../local/stack/stackControl";
import { writeStackState } from "../../local/stack/stackState";
import { type LocalZone, ROUTE53_LIMITS, startLocalZone } from "../../local/zone";
import { changeRecordSets, route53Client } from "../../route53";
import { hostA } from "../kit/recordFixtures";

describe("ecssd stack status: the zone's record sets against its quota", () => {
  let zone: LocalZone;
  let dir: string;

  before(async () => {
    zone = await startLocalZone({ zoneName: "status.internal", faults: ROUTE53_LIMITS });
    dir = mkdtempSync(join(tmpdir(), "ecssd-status-"));
    writeStackState(dir, {
      pid: process.pid,
      apiUrl: zone.apiUrl,
      dns: { host: zone.dns.host, port: zone.dns.port },
      hostedZoneId: zone.hostedZoneId,
      zoneName: zone.zoneName,
      portalUrl: "http://127.0.0.1:1/",
      startedAt: new Date().toISOString(),
    });
    const client = route53Client({ endpoint: zone.apiUrl });
    await changeRecordSets(
      client,
      zone.hostedZoneId,
      [hostA("local", "127.0.0.1", zone.zoneName)].map((recordSet) => ({
        action: "CREATE" as const,
        recordSet,
      })),
      "test",
    );
    client.destroy();
  });
  after(async () => {
    await zone.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints the sets used against the limit, and the JSON carries both", async () => {
    const status = await stackStatus(dir);
    // SOA, NS and the host's A record, of Route53's default 10,000.
    assert.deepEqual(status.zone, {
      name: "status.internal",
      id: zone.hostedZoneId,
      recordSets: { used: 3, limit: 10_000 },
    });
    assert.deepEqual(JSON.parse(JSON.stringify(status)).zone.recordSets, { used: 3, limit: 10_000 });
    const lines = stackStatusLines(status);
    assert.equal(lines[1], `zone status.internal (${zone.hostedZoneId}): 3 of 10000 record sets`);
    assert.ok(!lines.some((l) => l.includes("is full")));
  });

  it("says the zone is full, and what to do, when it is", async () => {
    zone.setFaults({ ...ROUTE53_LIMITS, maxRecordSetsPerZone: 3 });
    const lines = stackStatusLines(await stackStatus(dir));
    assert.deepEqual(lines.slice(1, 3), [
      `zone status.internal (${zone.hostedZoneId}): 3 of 3 record sets`,
      `  zone status.internal (${zone.hostedZoneId}) is full: 3 of 3 record sets; raise the "Records per hosted zone" quota of the zone (Service Quotas or AWS Support) or remove record sets`,
    ]);
  });
});

describe("ecssd stack status: the coalescer", () => {
  let zone: LocalZone;
  let dir: string;
  let coalescer: StackCoalescer | undefined;

  const state = (coalescerUrl?: string, coalescerToken?: string) =>
    writeStackState(dir, {
      pid: process.pid,
      apiUrl: zone.apiUrl,
      dns: { host: zone.dns.host, port: zone.dns.port },
      hostedZoneId: zone.hostedZoneId,
      zoneName: zone.zoneName,
      portalUrl: "http://127.0.0.1:1/",
      ...(coalescerUrl !== undefined && { coalescerUrl }),
      ...(coalescerToken !== undefined && { coalescerToken }),
      startedAt: new Date().toISOString(),
    });

  beforeEach(async () => {
    zone = await startLocalZone({ zoneName: "status.internal", faults: ROUTE53_LIMITS });
    dir = mkdtempSync(join(tmpdir(), "ecssd-status-"));
  });
  afterEach(async () => {
    await coalescer?.stop();
    coalescer = undefined;
    await zone.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows its URL, queue, requests, throttles and record sets against the limit, in lines and JSON", async () => {
    coalescer = await startStackCoalescer(zone, join(dir, "coalescer.log"));
    await coalescer.core.submit("host:local", [
      { action: "UPSERT", recordSet: hostA("local", "127.0.0.1", zone.zoneName) },
    ]);
    state(coalescer.url, coalescer.token);
    const status = await stackStatus(dir);
    const json = JSON.parse(JSON.stringify(status));
    assert.ok(!JSON.stringify(json).includes(coalescer.token), "the token is not in the status");
    assert.equal(json.coalescer.url, coalescer.url);
    assert.deepEqual(
      [json.coalescer.status.queued, json.coalescer.status.recordSets, json.coalescer.status.recordSetLimit],
      [0, 3, 10_000],
    );
    assert.equal(json.coalescer.status.requests.ChangeResourceRecordSets, 1);
    assert.equal(
      stackStatusLines(status)[2],
      `coalescer ${coalescer.url}: 0 queued (0 changes), 3 requests (ListResourceRecordSets 1, GetHostedZoneLimit 1, ChangeResourceRecordSets 1), 0 throttled, 3 of 10000 record sets`,
    );
  });

  it("says none when the stack writes per host (--no-coalescer)", async () => {
    state();
    const status = await stackStatus(dir);
    assert.equal(JSON.parse(JSON.stringify(status)).coalescer, null);
    assert.equal(
      stackStatusLines(status)[2],
      "coalescer: none (--no-coalescer): the agent and the registrar write Route53 themselves",
    );
  });

  it("says the coalescer did not answer, and still lists the zone, when it is gone", async () => {
    const gone = await startStackCoalescer(zone, join(dir, "coalescer.log"));
    await gone.stop();
    state(gone.url);
    const status = await stackStatus(dir);
    assert.equal(status.zone?.recordSets.used, 2);
    assert.match(
      stackStatusLines(status)[2] ?? "",
      /^coalescer http:\/\/127\.0\.0\.1:\d+: did not answer \(.+\)$/,
    );
  });
});
