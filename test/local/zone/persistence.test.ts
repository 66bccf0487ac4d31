import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ListResourceRecordSetsCommand } from "@aws-sdk/client-route-53";
import { startLocalZone } from "../../../local/zone";
import { aSet, change, dig, fqdn, route53For, srvSet } from "./localZoneHarness";

describe("local zone data file", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "ecssd-local-zone-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps the zone and its records across a restart, under the same hosted zone id", async () => {
    const dataFile = path.join(dir, "zone.json");
    const first = await startLocalZone({ dataFile });
    const client = route53For(first);
    await change(client, first, [
      { Action: "CREATE", ResourceRecordSet: aSet(fqdn(first, "host1"), "127.0.0.1") },
      {
        Action: "CREATE",
        ResourceRecordSet: srvSet(
          fqdn(first, "_calc._tcp"),
          "host1-a",
          "1 1 8080 host1.servicediscovery.internal",
        ),
      },
    ]);
    client.destroy();
    await first.close();
    assert.deepEqual(readdirSync(dir), ["zone.json"], "no temporary file is left behind");

    const second = await startLocalZone({ dataFile });
    try {
      assert.equal(second.hostedZoneId, first.hostedZoneId);
      const again = route53For(second);
      const sets = await again.send(new ListResourceRecordSetsCommand({ HostedZoneId: second.hostedZoneId }));
      again.destroy();
      assert.deepEqual(
        sets.ResourceRecordSets?.map((s) => `${s.Name} ${s.Type} ${s.SetIdentifier ?? ""}`),
        [
          "servicediscovery.internal. NS ",
          "servicediscovery.internal. SOA ",
          "_calc._tcp.servicediscovery.internal. SRV host1-a",
          "host1.servicediscovery.internal. A ",
        ],
      );
      const r = await dig(second, "SRV", "_calc._tcp.servicediscovery.internal");
      assert.equal(r.answer[0]?.data, "1 1 8080 host1.servicediscovery.internal.");
      assert.equal(r.additional[0]?.data, "127.0.0.1");
    } finally {
      await second.close();
    }
  });

  it("writes the file after each successful change, before answering", async () => {
    const dataFile = path.join(dir, "nested", "zone.json");
    const zone = await startLocalZone({ dataFile });
    const client = route53For(zone);
    try {
      await change(client, zone, [
        { Action: "CREATE", ResourceRecordSet: aSet(fqdn(zone, "now"), "10.0.0.7") },
      ]);
      assert.match(readFileSync(dataFile, "utf8"), /10\.0\.0\.7/);
      await change(client, zone, [
        { Action: "DELETE", ResourceRecordSet: aSet(fqdn(zone, "now"), "10.0.0.7") },
      ]);
      assert.doesNotMatch(readFileSync(dataFile, "utf8"), /10\.0\.0\.7/);
    } finally {
      client.destroy();
      await zone.close();
    }
  });

  it("refuses to start on a data file that is not its own, saying which file", async () => {
    const dataFile = path.join(dir, "zone.json");
    writeFileSync(dataFile, "{ not json");
    await assert.rejects(
      startLocalZone({ dataFile }),
      (err: Error) => err.message.includes(dataFile) && /not valid JSON/.test(err.message),
    );
    writeFileSync(dataFile, JSON.stringify({ hello: 1 }));
    await assert.rejects(startLocalZone({ dataFile }), /format ecssd-local-zone\/1 expected/);
  });
});
