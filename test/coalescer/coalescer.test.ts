// The coalescer's core against the local zone with Route53's limits: many submitters' changes share requests,
// changes already made cost nothing, a change the zone would refuse is refused to its submitter alone, and the
// zone changed behind its back is read again instead of failing everyone's batch.
import assert from "node:assert/strict";
import { ListResourceRecordSetsCommand } from "@aws-sdk/client-route-53";
import pino from "pino";
import { Coalescer } from "../../coalescer/coalescer";
import { CoalescerHostZone } from "../../coalescer/hostZone";
import { DEFAULT_ROUTE53_BUDGET, parseRoute53Budget } from "../../coalescer/route53Budget";
import { type LocalZone, ROUTE53_LIMITS, startLocalZone } from "../../local/zone";
import { InvalidChangeBatchError } from "../../route53/errors";
import { isRecordSetQuotaError } from "../../route53/recordSetQuota";
import { toRoute53 } from "../../route53/recordSetShape";
import { route53For } from "../kit/awsClients";
import { localCoalescer } from "../kit/localCoalescer";
import { hostA, srvRecord } from "../kit/recordFixtures";
import { changeZone } from "../kit/zoneSeeding";

const quiet = pino({ level: "silent" });

describe("coalescer: the zone's one writer", function () {
  this.timeout(30_000);
  let zone: LocalZone;
  let coalescer: Coalescer;
  const calls: string[] = [];

  beforeEach(async () => {
    zone = await startLocalZone({ faults: { ...ROUTE53_LIMITS } });
    calls.length = 0;
    coalescer = localCoalescer(zone, { windowMs: 50, log: quiet, onApiCall: (a) => calls.push(a) });
    await coalescer.start();
  });
  afterEach(async () => {
    await coalescer.stop(0);
    await zone.close();
  });

  const names = async () => {
    const out = await route53For(zone).send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zone.hostedZoneId, MaxItems: 300 }),
    );
    return (out.ResourceRecordSets ?? []).filter((r) => r.Type === "SRV" || r.Type === "A").length;
  };

  it("puts fifty hosts' changes, submitted at once, into one request", async () => {
    const before = calls.filter((c) => c === "ChangeResourceRecordSets").length;
    await Promise.all(
      Array.from({ length: 50 }, (_, h) =>
        coalescer.submit(`i-${h}`, [
          { action: "CREATE", recordSet: hostA(`i-0${h}`, `10.0.0.${h + 1}`, zone.zoneName) },
          {
            action: "CREATE",
            recordSet: srvRecord({
              hostId: `i-0${h}`,
              container: h,
              hostPort: 32768 + h,
              zone: zone.zoneName,
            }),
          },
        ]),
      ),
    );
    assert.equal(calls.filter((c) => c === "ChangeResourceRecordSets").length - before, 1);
    assert.equal(await names(), 100);
    assert.equal(coalescer.status().recordSets, 102); // with the apex SOA and NS
  });

  it("answers an agent's reads from its copy, and a change already made costs no request", async () => {
    const set = srvRecord({ hostId: "i-0a", container: 1, hostPort: 32768, zone: zone.zoneName });
    const host = new CoalescerHostZone(coalescer, "i-0a");
    await host.change([{ action: "CREATE", recordSet: set }]);
    const sent = calls.length;
    assert.deepEqual(await host.listHostRecordSets("i-0a"), [set]);
    await host.change([{ action: "UPSERT", recordSet: set }]);
    await coalescer.submit("i-0a", [
      { action: "DELETE", recordSet: { ...set, Name: `_other._tcp.${zone.zoneName}` } },
    ]);
    assert.equal(calls.length, sent);
  });

  it("refuses a change the zone would refuse to its submitter alone; the others' changes land", async () => {
    const held = srvRecord({ hostId: "i-0b", container: 2, hostPort: 32769, zone: zone.zoneName });
    await coalescer.submit("i-0b", [{ action: "CREATE", recordSet: held }]);
    const stale = { ...held, TTL: 99 };
    const results = await Promise.allSettled([
      coalescer.submit("i-0b", [{ action: "DELETE", recordSet: stale }]),
      coalescer.submit("i-0c", [
        {
          action: "CREATE",
          recordSet: srvRecord({ hostId: "i-0c", container: 3, hostPort: 1, zone: zone.zoneName }),
        },
      ]),
    ]);
    assert.equal(results[0].status, "rejected");
    assert.ok((results[0] as PromiseRejectedResult).reason instanceof InvalidChangeBatchError);
    assert.equal(results[1].status, "fulfilled");
    assert.equal(await names(), 2);
  });

  it("finds the one submission Route53 refuses among many by halving, and applies everyone else's", async () => {
    const good = Array.from({ length: 12 }, (_, h) =>
      srvRecord({ hostId: `i-1${h}`, container: 100 + h, hostPort: 33000 + h, zone: zone.zoneName }),
    );
    // Outside the zone: the copy cannot know; Route53 refuses the whole batch for it.
    const bad = { ...good[0], Name: "_calc._tcp.elsewhere.example" } as (typeof good)[number];
    const before = calls.filter((c) => c === "ChangeResourceRecordSets").length;
    const results = await Promise.allSettled([
      ...good.slice(0, 6).map((rs, h) => coalescer.submit(`i-1${h}`, [{ action: "CREATE", recordSet: rs }])),
      coalescer.submit("i-bad", [{ action: "CREATE", recordSet: bad }]),
      ...good.slice(6).map((rs, h) => coalescer.submit(`i-1${h + 6}`, [{ action: "CREATE", recordSet: rs }])),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      [...Array(6).fill("fulfilled"), "rejected", ...Array(6).fill("fulfilled")],
    );
    assert.ok((results[6] as PromiseRejectedResult).reason instanceof InvalidChangeBatchError);
    assert.equal(await names(), 12);
    // 13 submitters: the refused batch, then about two requests for each halving.
    const sent = calls.filter((c) => c === "ChangeResourceRecordSets").length - before;
    assert.ok(sent <= 1 + 2 * Math.ceil(Math.log2(13)), `${sent} requests`);
  });

  it("takes back a submission whose submitter gave up, before or while it waits", async () => {
    const set = srvRecord({ hostId: "i-0g", container: 7, hostPort: 40007, zone: zone.zoneName });
    const gone = new AbortController();
    gone.abort();
    await assert.rejects(
      coalescer.submit("i-0g", [{ action: "CREATE", recordSet: set }], gone.signal),
      /gave up/,
    );
    assert.equal(coalescer.status().queued, 0);
    assert.deepEqual(await coalescer.hostRecordSets("i-0g"), []);
  });

  it("reads again what someone else changed behind its back, and applies the rest", async () => {
    const gone = srvRecord({ hostId: "i-0d", container: 4, hostPort: 40000, zone: zone.zoneName });
    await coalescer.submit("i-0d", [{ action: "CREATE", recordSet: gone }]);
    // The reconciler (another writer) deletes it directly.
    await changeZone(route53For(zone), zone.hostedZoneId, [
      { Action: "DELETE", ResourceRecordSet: toRoute53(gone) },
    ]);
    const other = srvRecord({ hostId: "i-0e", container: 5, hostPort: 40001, zone: zone.zoneName });
    await Promise.all([
      coalescer.submit("i-0d", [{ action: "DELETE", recordSet: gone }]),
      coalescer.submit("i-0e", [{ action: "CREATE", recordSet: other }]),
    ]);
    assert.deepEqual(await coalescer.hostRecordSets("i-0d"), []);
    assert.equal(await names(), 1);
  });
});

describe("coalescer: a full zone", function () {
  this.timeout(30_000);
  it("refuses additions with Route53's quota error, says so once a minute, and lets deletes through", async () => {
    const zone = await startLocalZone({ faults: { maxRecordSetsPerZone: 4 } });
    const lines: { obj: object; msg?: string }[] = [];
    const log = {
      ...quiet,
      warn: (obj: object, msg?: string) => lines.push({ obj, ...(msg !== undefined && { msg }) }),
    } as unknown as typeof quiet;
    const coalescer = new Coalescer({
      client: route53For(zone),
      zoneId: zone.hostedZoneId,
      zoneName: zone.zoneName,
      budget: DEFAULT_ROUTE53_BUDGET,
      windowMs: 10,
      relistSeconds: 300,
      log,
    });
    try {
      await coalescer.start();
      const set = (n: number) =>
        srvRecord({ hostId: "i-0f", container: n, hostPort: 32000 + n, zone: zone.zoneName });
      // SOA and NS are two of the four.
      await coalescer.submit("i-0f", [
        { action: "CREATE", recordSet: set(1) },
        { action: "CREATE", recordSet: set(2) },
      ]);
      for (let n = 3; n <= 4; n++) {
        const refused = await coalescer.submit("i-0f", [{ action: "CREATE", recordSet: set(n) }]).then(
          () => undefined,
          (err: Error) => err,
        );
        assert.ok(isRecordSetQuotaError(refused), String(refused));
      }
      const said = lines.filter((l) => (l.obj as { action?: string }).action === "record-set-quota");
      assert.equal(said.length, 1);
      assert.match(
        said[0]?.msg ?? "",
        new RegExp(`zone ${zone.zoneName} \\(${zone.hostedZoneId}\\) is full: 4 of 4 record sets; raise`),
      );
      await coalescer.submit("i-0f", [{ action: "DELETE", recordSet: set(1) }]);
      assert.equal(coalescer.status().recordSets, 3);
    } finally {
      await coalescer.stop(0);
      await zone.close();
    }
  });
});

describe("coalescer: its Route53 budget", () => {
  it("reads a budget and names what is wrong with one", () => {
    assert.deepEqual(parseRoute53Budget("requests=0.2,changes=0.5"), {
      value: { requests: 0.2, changes: 0.5 },
    });
    assert.deepEqual(parseRoute53Budget("changes=0.3"), { value: { requests: 0.4, changes: 0.3 } });
    const bad = parseRoute53Budget("requests=2,speed=1");
    assert.ok("problems" in bad);
    assert.equal(bad.problems.length, 2);
    assert.match(bad.problems.join("\n"), /requests must be a share .* got "2"/);
    assert.match(bad.problems.join("\n"), /"speed=1" is not requests=<share>/);
  });
});
