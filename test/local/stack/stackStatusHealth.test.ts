// `ecssd stack status` says why an instance is out of DNS for its health: its agent check is not passing,
// or the reconciler took it out (with what its check saw and since when). Read from the zone's markers.
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChangeResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { stackStatus } from "../../../local/stack/stackControl";
import { writeStackState } from "../../../local/stack/stackState";
import { type LocalZone, startLocalZone } from "../../../local/zone";
import {
  agentCheckMarker,
  hostRecordSet,
  instanceRecordSet,
  parseServiceDeclarations,
  type RecordSet,
  verdictMarker,
} from "../../../records";

describe("stack status: instances out of DNS for their health", () => {
  let zone: LocalZone;
  let dir: string;
  before(async () => {
    zone = await startLocalZone();
    dir = mkdtempSync(join(tmpdir(), "ecssd-status-"));
  });
  after(async () => {
    await zone?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists the serving instance, and says why the other two are out", async () => {
    const [service] = parseServiceDeclarations(["SERVICE_8081_NAME=_calc._tcp"], {}).services;
    assert.ok(service);
    const instance = (n: number): RecordSet => {
      const built = instanceRecordSet({
        zone: zone.zoneName,
        hostId: "local",
        containerId: String(n).repeat(12),
        service,
        hostPort: 30000 + n,
      });
      assert.ok("recordSet" in built);
      return built.recordSet;
    };
    const host = hostRecordSet({ zone: zone.zoneName, hostId: "local", address: "127.0.0.1" });
    assert.ok("recordSet" in host);
    const serving = instance(1);
    const sets = [
      host.recordSet,
      serving,
      agentCheckMarker(serving, "http"),
      agentCheckMarker(instance(2), "http"),
      verdictMarker(instance(3), {
        port: 30003,
        since: new Date("2026-01-01T00:00:00Z"),
        detail: "HTTP 503",
      }),
    ];
    const client = new Route53Client({
      endpoint: zone.apiUrl,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    await client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.hostedZoneId,
        ChangeBatch: { Changes: sets.map((ResourceRecordSet) => ({ Action: "CREATE", ResourceRecordSet })) },
      }),
    );
    client.destroy();
    writeStackState(dir, {
      pid: process.pid,
      apiUrl: zone.apiUrl,
      dns: { host: zone.dns.host, port: zone.dns.port },
      hostedZoneId: zone.hostedZoneId,
      zoneName: zone.zoneName,
      portalUrl: "http://127.0.0.1:1/",
      startedAt: new Date().toISOString(),
    });

    const status = await stackStatus(dir);
    const calc = status.services.find((s) => s.name === `_calc._tcp.${zone.zoneName}`);
    assert.deepEqual(
      calc?.instances.map((i) => i.port),
      [30001],
    );
    assert.deepEqual(calc?.outOfDns, [
      {
        container: "222222222222",
        reason: "agent-check",
        why: "agent check (http) not passing yet, or failing",
      },
      {
        container: "333333333333",
        reason: "reconciler-verdict",
        why: "reconciler verdict: HTTP 503 since 2026-01-01T00:00:00.000Z (port 30003)",
      },
    ]);
  });
});
