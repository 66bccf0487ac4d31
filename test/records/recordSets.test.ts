import assert from "node:assert/strict";
import fc from "fast-check";
import {
  formatSrvValue,
  hostRecordSet,
  type InstanceIdentity,
  instanceRecordSet,
  instanceSetIdentifier,
  normalizeZone,
  parseServiceDeclarations,
  parseSetIdentifier,
  parseSrvValue,
  recordSetKey,
  taskIdFromArn,
} from "../../records";

const zone = "servicediscovery.internal";
const cid = "3f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170f1e2d3c";
const calc = parseServiceDeclarations(["SERVICE_8081_NAME=_calc._tcp"], {}).services[0]!;

/** Every identity goes through the same build → parse round trip. */
function roundTrip(id: InstanceIdentity): void {
  const built = instanceSetIdentifier(id);
  assert.ok("setIdentifier" in built, JSON.stringify(built));
  assert.ok(built.setIdentifier.length <= 128, `${built.setIdentifier.length} characters`);
  const parsed = parseSetIdentifier(built.setIdentifier);
  assert.deepEqual(parsed, {
    kind: "instance",
    hostId: id.hostId,
    containerId: id.containerId.slice(0, 24),
    containerPort: id.containerPort,
    ...(id.taskId ? { taskId: id.taskId } : {}),
  });
}

describe("records: set identifiers", () => {
  it("round-trips instance identities, with and without a task", () => {
    roundTrip({ hostId: "i-0123456789abcdef0", containerId: cid, containerPort: 8081 });
    roundTrip({ hostId: "local", containerId: cid.slice(0, 12), containerPort: 1, taskId: "a".repeat(32) });
    roundTrip({ hostId: "h".repeat(53), containerId: cid, containerPort: 65535, taskId: "0".repeat(36) });
  });

  it("round-trips any valid identity and stays within 128 characters (property)", () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,51}[a-z0-9])?$/);
    fc.assert(
      fc.property(
        label,
        fc.stringMatching(/^[0-9a-f]{12,64}$/),
        fc.integer({ min: 1, max: 65535 }),
        fc.option(fc.stringMatching(/^[A-Za-z0-9-]{1,36}$/), { nil: undefined }),
        (hostId, containerId, containerPort, taskId) =>
          roundTrip({ hostId, containerId, containerPort, taskId }),
      ),
    );
  });

  it("is deterministic from the container", () => {
    const a = instanceSetIdentifier({ hostId: "h1", containerId: cid, containerPort: 80 });
    const b = instanceSetIdentifier({ hostId: "h1", containerId: cid, containerPort: 80 });
    assert.deepEqual(a, b);
  });

  it("names each bad part of an identity", () => {
    const r = instanceSetIdentifier({
      hostId: "Bad_Host",
      containerId: "xyz",
      containerPort: 0,
      taskId: "a/b",
    });
    assert.ok("problems" in r);
    assert.deepEqual(
      r.problems.map((p) => p.code),
      ["invalid-host-id", "invalid-container-id", "invalid-port", "invalid-task-id"],
    );
  });

  it("parses host identifiers and refuses anything it did not write", () => {
    assert.deepEqual(parseSetIdentifier("ecssd1:i-0abc"), { kind: "host", hostId: "i-0abc" });
    for (const foreign of [
      undefined,
      "",
      "us-east-1a",
      "ecssd2:h:0123456789ab:80",
      "ecssd1:",
      "ecssd1:h:0123456789ab",
      "ecssd1:h:0123456789ab:0",
      "ecssd1:h:0123456789ab:70000",
      "ecssd1:h:ZZZZ:80",
      "ecssd1:h:0123456789ab:80:task:extra",
      `ecssd1:${"h".repeat(200)}`,
      "ecssd1:héte",
    ]) {
      assert.equal(parseSetIdentifier(foreign), undefined, String(foreign));
    }
  });

  it("takes the task id from both ECS task ARN formats", () => {
    assert.equal(
      taskIdFromArn("arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef"),
      "0123456789abcdef0123456789abcdef",
    );
    assert.equal(
      taskIdFromArn("arn:aws:ecs:us-east-1:123456789012:task/1f0e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"),
      "1f0e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    );
    assert.equal(taskIdFromArn("arn:aws:ecs:us-east-1:123456789012:service/prod/x"), undefined);
    assert.equal(taskIdFromArn(undefined), undefined);
  });
});

describe("records: record sets", () => {
  it("builds an instance SRV record set in Route53's shape", () => {
    const r = instanceRecordSet({ zone, hostId: "i-0abc", containerId: cid, service: calc, hostPort: 32768 });
    assert.ok("recordSet" in r);
    assert.deepEqual(r.recordSet, {
      Name: "_calc._tcp.servicediscovery.internal",
      Type: "SRV",
      TTL: 10,
      SetIdentifier: `ecssd1:i-0abc:${cid.slice(0, 24)}:8081`,
      MultiValueAnswer: true,
      ResourceRecords: [{ Value: "1 1 32768 i-0abc.servicediscovery.internal" }],
    });
  });

  it("uses a Route53 weight (0–255) under the weighted policy", () => {
    const heavy = parseServiceDeclarations(["SERVICE_80_NAME=_w._tcp", "SERVICE_80_WEIGHT=1000"], {})
      .services[0]!;
    const r = instanceRecordSet({
      zone,
      hostId: "h",
      containerId: cid,
      service: heavy,
      hostPort: 80,
      routing: "weighted",
    });
    assert.ok("recordSet" in r);
    assert.equal(r.recordSet.Weight, 255);
    assert.equal(r.recordSet.MultiValueAnswer, undefined);
  });

  it("builds the host A record set and refuses a bad address", () => {
    const r = hostRecordSet({ zone, hostId: "i-0abc", address: "10.0.1.23" });
    assert.ok("recordSet" in r);
    assert.equal(r.recordSet.Name, "i-0abc.servicediscovery.internal");
    assert.equal(r.recordSet.TTL, 60);
    assert.deepEqual(parseSetIdentifier(r.recordSet.SetIdentifier), { kind: "host", hostId: "i-0abc" });
    for (const bad of ["", "10.0.0", "256.1.1.1", "::1", "10.0.0.01x"]) {
      assert.ok("problems" in hostRecordSet({ zone, hostId: "h", address: bad }), bad);
    }
  });

  it("refuses a host port outside 1–65535", () => {
    const r = instanceRecordSet({ zone, hostId: "h", containerId: cid, service: calc, hostPort: 0 });
    assert.ok("problems" in r);
    assert.equal(r.problems[0]?.code, "invalid-port");
  });

  it("round-trips SRV values, accepting Route53's trailing dot", () => {
    const v = { priority: 0, weight: 65535, port: 1, target: "h.servicediscovery.internal" };
    assert.deepEqual(parseSrvValue(formatSrvValue(v)), v);
    assert.deepEqual(parseSrvValue("1 2 3 Host.Zone.Internal."), {
      priority: 1,
      weight: 2,
      port: 3,
      target: "host.zone.internal",
    });
    for (const bad of ["", "1 2 3", "1 2 70000 h", "a b c d", "1 2 3 h extra"]) {
      assert.equal(parseSrvValue(bad), undefined, bad);
    }
  });

  it("keys record sets the way Route53 identifies them", () => {
    assert.equal(
      recordSetKey({ Name: "_A._tcp.Zone.", Type: "SRV", SetIdentifier: "x" }),
      recordSetKey({ Name: "_a._tcp.zone", Type: "SRV", SetIdentifier: "x" }),
    );
  });

  it("normalizes zone names and names a bad one", () => {
    assert.deepEqual(normalizeZone("ServiceDiscovery.Internal."), { zone });
    for (const bad of ["", "internal", "a..b", "-a.b", "a_b.c", `${"a".repeat(64)}.b`]) {
      const r = normalizeZone(bad);
      assert.ok("problem" in r, bad);
      assert.equal(r.problem.code, "invalid-zone");
    }
  });
});
