// The DNS side re-encodes only the names a change batch touched; these cases prove that what it
// keeps from before a change never shows through after it (glue, empty non-terminals, big zones).
import assert from "node:assert/strict";
import type { Change, Route53Client } from "@aws-sdk/client-route-53";
import { type LocalZone, startLocalZone } from "../../../local/zone";
import { aSet, change, dig, fqdn, route53For, srvSet } from "./localZoneHarness";

const BIG_ZONE_SETS = 20_000;
const SETS_PER_BATCH = 1000;

describe("local zone DNS after changes (only touched names re-encoded)", function () {
  this.timeout(120_000);
  let zone: LocalZone;
  let client: Route53Client;
  const z = (label: string) => fqdn(zone, label);

  before(async () => {
    zone = await startLocalZone();
    client = route53For(zone);
  });
  after(async () => {
    client?.destroy();
    await zone?.close();
  });

  it("a change on a zone of 20,000 record sets is in DNS as soon as the API call returns", async () => {
    for (let b = 0; b < BIG_ZONE_SETS / SETS_PER_BATCH; b++) {
      const changes: Change[] = Array.from({ length: SETS_PER_BATCH }, (_, i) => {
        const n = b * SETS_PER_BATCH + i;
        return {
          Action: "CREATE",
          ResourceRecordSet: aSet(z(`h${n}.big`), `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`),
        };
      });
      await change(client, zone, changes);
    }
    // Answer from the zone once, so answers encoded before the change exist.
    assert.deepEqual(
      (await dig(zone, z("h7.big"), "A")).answer.map((r) => r.data),
      ["10.0.0.7"],
    );
    await change(client, zone, [
      { Action: "UPSERT", ResourceRecordSet: aSet(z("h7.big"), "192.0.2.7") },
      { Action: "DELETE", ResourceRecordSet: aSet(z("h19999.big"), "10.0.78.31") },
      { Action: "CREATE", ResourceRecordSet: aSet(z("h20000.big"), "192.0.2.200") },
    ]);
    assert.deepEqual(
      (await dig(zone, z("h7.big"), "A")).answer.map((r) => r.data),
      ["192.0.2.7"],
    );
    assert.equal((await dig(zone, z("h19999.big"), "A")).status, "NXDOMAIN");
    assert.deepEqual(
      (await dig(zone, z("h20000.big"), "A")).answer.map((r) => r.data),
      ["192.0.2.200"],
    );
    assert.deepEqual(
      (await dig(zone, z("h8.big"), "A")).answer.map((r) => r.data),
      ["10.0.0.8"],
    );
  });

  it("an SRV answer's glue follows its target's address, added or changed after the SRV was answered", async () => {
    await change(client, zone, [
      { Action: "CREATE", ResourceRecordSet: srvSet(z("_glue._tcp"), "one", `1 1 80 ${z("gluehost")}`) },
    ]);
    assert.deepEqual((await dig(zone, z("_glue._tcp"), "SRV")).additional, []);
    await change(client, zone, [{ Action: "CREATE", ResourceRecordSet: aSet(z("gluehost"), "192.0.2.10") }]);
    const added = await dig(zone, z("_glue._tcp"), "SRV");
    assert.deepEqual(
      added.additional.map((r) => r.data),
      ["192.0.2.10"],
    );
    await change(client, zone, [{ Action: "UPSERT", ResourceRecordSet: aSet(z("gluehost"), "192.0.2.11") }]);
    const changed = await dig(zone, z("_glue._tcp"), "SRV");
    assert.deepEqual(
      changed.additional.map((r) => r.data),
      ["192.0.2.11"],
    );
  });

  it("an empty non-terminal exists while a name below it does, and is NXDOMAIN after", async () => {
    await change(client, zone, [{ Action: "CREATE", ResourceRecordSet: aSet(z("leaf.ent"), "192.0.2.20") }]);
    const nodata = await dig(zone, z("ent"), "A");
    assert.equal(nodata.status, "NOERROR");
    assert.deepEqual(nodata.answer, []);
    await change(client, zone, [{ Action: "DELETE", ResourceRecordSet: aSet(z("leaf.ent"), "192.0.2.20") }]);
    assert.equal((await dig(zone, z("ent"), "A")).status, "NXDOMAIN");
    assert.equal((await dig(zone, z("leaf.ent"), "A")).status, "NXDOMAIN");
  });
});
