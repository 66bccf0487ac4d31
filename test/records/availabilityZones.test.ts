// The AZ set beside a host's or a task's A set: built as the A set's twin, read back by azIdOf, owned by us
// (isWrittenByUs) only with a host's or a task's SetIdentifier.
import assert from "node:assert/strict";
import {
  availabilityZoneIdProblem,
  availabilityZoneRecordSet,
  azIdOf,
  hostRecordSet,
  isWrittenByUs,
  type RecordSet,
  taskAddressRecordSet,
  type ZoneRecordSet,
} from "../../records";
import { AZ_ID_PATTERN } from "../../resolver/src/availabilityZone";

const zone = "servicediscovery.internal";
const taskId = "0123456789abcdef0123456789abcdef";

function built<T>(r: { recordSet: T } | { problems: unknown[] }): T {
  assert.ok("recordSet" in r, JSON.stringify(r));
  return r.recordSet;
}

const hostA = built(hostRecordSet({ zone, hostId: "i-0123456789abcdef0", address: "10.0.0.5" }));
const weightedHostA = built(
  hostRecordSet({
    zone,
    hostId: "i-0123456789abcdef0",
    address: "10.0.0.5",
    routing: "weighted",
    deployment: "prod",
  }),
);
const taskA = built(taskAddressRecordSet({ zone, taskId, address: "10.0.1.9", ttl: 15, deployment: "prod" }));

describe("records: AZ sets", () => {
  for (const [what, address] of [
    ["a host's A set (multivalue)", hostA],
    ["a host's A set (weighted, with a deployment)", weightedHostA],
    ["a task's A set", taskA],
  ] as const) {
    it(`is the twin of ${what}: same name, SetIdentifier, TTL and routing; one value`, () => {
      const az = built(availabilityZoneRecordSet(address, "use1-az4"));
      assert.deepEqual(az, { ...address, Type: "TXT", ResourceRecords: [{ Value: '"az-id=use1-az4"' }] });
      assert.equal(azIdOf(az), "use1-az4");
      assert.ok(isWrittenByUs(az));
    });
  }

  it("refuses what is not an AZ ID, naming it, and anything but a host's or a task's A set", () => {
    for (const bad of ["us-east-1a", "use1-az", "USE1-AZ4", "use1-az4 ", "", 'use1-az4"x']) {
      const r = availabilityZoneRecordSet(hostA, bad);
      assert.ok("problems" in r, bad);
      assert.equal(r.problems[0]?.code, "invalid-az-id");
      assert.match(r.problems[0]?.message ?? "", /is not an AZ ID such as use1-az4/);
      assert.ok(availabilityZoneIdProblem(bad), bad);
    }
    for (const good of ["use1-az4", "euw1-az1", "apne1-az11", "usgw1-az2"]) {
      assert.equal(availabilityZoneIdProblem(good), undefined, good);
      assert.ok(AZ_ID_PATTERN.test(good));
    }
    const srv: RecordSet = {
      ...hostA,
      Type: "SRV",
      SetIdentifier: `ecssd1:i-0123456789abcdef0:${"a".repeat(24)}:8080`,
    };
    const notA = availabilityZoneRecordSet(srv, "use1-az4");
    assert.ok("problems" in notA);
    assert.match(notA.problems[0]?.message ?? "", /beside a host's or a task's A set/);
    const foreign = availabilityZoneRecordSet({ ...hostA, SetIdentifier: "somebody" }, "use1-az4");
    assert.ok("problems" in foreign);
  });

  const az = built(availabilityZoneRecordSet(hostA, "use1-az4"));
  const instanceId = `ecssd1:i-0123456789abcdef0:${"a".repeat(24)}:8080`;
  const cases: [string, ZoneRecordSet, string | undefined, boolean][] = [
    ["the AZ set", az, "use1-az4", true],
    ["a task's AZ set", built(availabilityZoneRecordSet(taskA, "euw1-az2")), "euw1-az2", true],
    [
      "spaces around the value",
      { ...az, ResourceRecords: [{ Value: ' "az-id=use1-az4" ' }] },
      "use1-az4",
      true,
    ],
    ["an AZ name", { ...az, ResourceRecords: [{ Value: '"az-id=us-east-1a"' }] }, undefined, true],
    ["no quotes", { ...az, ResourceRecords: [{ Value: "az-id=use1-az4" }] }, undefined, true],
    ["two strings", { ...az, ResourceRecords: [{ Value: '"az-id=use1-az4" "x"' }] }, undefined, true],
    [
      "two values",
      { ...az, ResourceRecords: [{ Value: '"az-id=use1-az4"' }, { Value: '"az-id=use1-az5"' }] },
      undefined,
      true,
    ],
    ["another key", { ...az, ResourceRecords: [{ Value: '"zone=use1-az4"' }] }, undefined, true],
    ["an A set", { ...az, Type: "A", ResourceRecords: [{ Value: "10.0.0.5" }] }, undefined, true],
    [
      "an instance's SetIdentifier (a health marker's)",
      { ...az, SetIdentifier: instanceId },
      undefined,
      true,
    ],
    ["a task port's SetIdentifier", { ...az, SetIdentifier: `ecssd1task:${taskId}:8080` }, undefined, false],
    ["somebody else's SetIdentifier", { ...az, SetIdentifier: "az" }, undefined, false],
    ["no SetIdentifier", { ...az, SetIdentifier: "" }, undefined, false],
    [
      "an alias",
      {
        ...az,
        ResourceRecords: [],
        AliasTarget: { HostedZoneId: "Z1", DNSName: "x.example", EvaluateTargetHealth: false },
      },
      undefined,
      false,
    ],
  ];
  for (const [what, rs, azId, ours] of cases) {
    it(`reads ${what}: ${azId ?? "no AZ"}, ${ours ? "ours" : "not ours"}`, () => {
      assert.equal(azIdOf(rs), azId);
      assert.equal(isWrittenByUs(rs), ours);
    });
  }
});
