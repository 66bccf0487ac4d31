import assert from "node:assert/strict";
import type { ContainerDescription } from "../../agent/containerSource";
import {
  containerRecordSets,
  type HostContext,
  hostRecordSets,
  publishedPort,
  servingVerdict,
} from "../../agent/desiredState";
import { parseServiceOwners, parseSetIdentifier } from "../../records";

const host: HostContext = {
  hostId: "i-0abc123",
  address: "10.0.1.5",
  zone: "servicediscovery.internal",
  srvTtl: 10,
  routing: "multivalue",
};
const ID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

function container(over: Partial<ContainerDescription> = {}, env: string[] = []): ContainerDescription {
  return {
    Id: ID,
    Name: "/calc-1",
    Config: { Env: env, Labels: {} },
    State: { Running: true, Paused: false, Restarting: false },
    HostConfig: { NetworkMode: "bridge" },
    NetworkSettings: { Ports: { "8081/tcp": [{ HostIp: "0.0.0.0", HostPort: "32768" }] } },
    ...over,
  };
}

describe("agent desired state", () => {
  it("turns a published, declared port into one SRV record set naming the host", () => {
    const out = containerRecordSets(container({}, ["SERVICE_8081_NAME=_calc._tcp", "SECRET=hunter2"]), host);
    assert.deepEqual(out.problems, []);
    assert.equal(out.recordSets.length, 1);
    const rs = out.recordSets[0]!;
    assert.equal(rs.Name, "_calc._tcp.servicediscovery.internal");
    assert.equal(rs.Type, "SRV");
    assert.equal(rs.MultiValueAnswer, true);
    assert.deepEqual(rs.ResourceRecords, [{ Value: "1 1 32768 i-0abc123.servicediscovery.internal" }]);
    assert.deepEqual(parseSetIdentifier(rs.SetIdentifier), {
      kind: "instance",
      hostId: "i-0abc123",
      containerId: ID.slice(0, 24),
      containerPort: 8081,
    });
  });

  it("uses the container port itself in host network mode", () => {
    const c = container({ HostConfig: { NetworkMode: "host" }, NetworkSettings: { Ports: {} } }, [
      "SERVICE_9000_NAME=_time._tcp",
    ]);
    const out = containerRecordSets(c, host);
    assert.deepEqual(out.recordSets[0]?.ResourceRecords, [
      { Value: "1 1 9000 i-0abc123.servicediscovery.internal" },
    ]);
  });

  it("skips a declared port that is not published, with a problem naming the key", () => {
    const out = containerRecordSets(
      container({}, ["SERVICE_8081_NAME=_calc._tcp", "SERVICE_9999_NAME=_x._tcp"]),
      host,
    );
    assert.equal(out.recordSets.length, 1);
    assert.equal(out.problems.length, 1);
    assert.equal(out.problems[0]?.subject, "SERVICE_9999_NAME");
    assert.match(out.problems[0]!.message, /not published/);
  });

  it("carries the ECS task id from the task-arn label in the SetIdentifier", () => {
    const c = container({
      Config: {
        Env: ["SERVICE_8081_NAME=_calc._tcp"],
        Labels: {
          "com.amazonaws.ecs.task-arn": "arn:aws:ecs:us-east-1:123456789012:task/main/abcdef0123456789",
        },
      },
    });
    const rs = containerRecordSets(c, host).recordSets[0]!;
    const id = parseSetIdentifier(rs.SetIdentifier);
    assert.equal(id?.kind === "instance" ? id.taskId : undefined, "abcdef0123456789");
  });

  it("leaves awsvpc task containers to the registrar, and keeps bridge and host task containers", () => {
    const ecs = {
      "com.amazonaws.ecs.task-arn":
        "arn:aws:ecs:us-east-1:123456789012:task/apps/0123456789abcdef0123456789abcdef",
    };
    const declares = ["SERVICE_8081_NAME=_calc._tcp", "SERVICE_8081_WEIGHT=x"];
    for (const mode of ["container:4f1c2d3e4f5a", "none"]) {
      const out = containerRecordSets(
        container({ Config: { Env: declares, Labels: ecs }, HostConfig: { NetworkMode: mode } }),
        host,
      );
      assert.equal(out.awsvpcTask, true, mode);
      assert.deepEqual([out.recordSets, out.problems], [[], []], mode);
    }
    const plain = containerRecordSets(
      container({
        Config: { Env: ["SERVICE_8081_NAME=_calc._tcp"], Labels: {} },
        HostConfig: { NetworkMode: "none" },
      }),
      host,
    );
    assert.equal(plain.awsvpcTask, false, "not an ECS task: the agent's as before");
    const bridge = containerRecordSets(
      container({ Config: { Env: ["SERVICE_8081_NAME=_calc._tcp"], Labels: ecs } }),
      host,
    );
    assert.equal(bridge.recordSets.length, 1);
  });

  it("reports malformed declarations and keeps the good ones", () => {
    const out = containerRecordSets(
      container(
        {
          NetworkSettings: {
            Ports: {
              "8081/tcp": [{ HostPort: "32768" }],
              "8082/tcp": [{ HostPort: "32769" }],
            },
          },
        },
        [
          "SERVICE_8081_NAME=calc",
          "SERVICE_8082_NAME=_time._tcp",
          "SERVICE_8082_WEIGHT=-1",
          "SERVICE_x_NAME=_a._tcp",
        ],
      ),
      host,
    );
    assert.equal(out.recordSets.length, 0);
    assert.deepEqual(out.problems.map((p) => p.code).sort(), [
      "invalid-port",
      "invalid-service-name",
      "invalid-weight",
    ]);
    for (const p of out.problems) assert.doesNotMatch(p.message, /hunter2/);
  });

  it("writes weighted record sets when routing is weighted", () => {
    const rs = containerRecordSets(
      container({}, ["SERVICE_8081_NAME=_calc._tcp", "SERVICE_8081_WEIGHT=40"]),
      {
        ...host,
        routing: "weighted",
      },
    ).recordSets[0]!;
    assert.equal(rs.Weight, 40);
    assert.equal(rs.MultiValueAnswer, undefined);
  });

  it("host record: the host's A record with the host SetIdentifier", () => {
    const [rs] = hostRecordSets(host);
    assert.equal(rs?.Name, "i-0abc123.servicediscovery.internal");
    assert.deepEqual(rs?.ResourceRecords, [{ Value: "10.0.1.5" }]);
    assert.deepEqual(parseSetIdentifier(rs?.SetIdentifier), { kind: "host", hostId: "i-0abc123" });
  });

  const verdicts: [string, ContainerDescription["State"], string | true][] = [
    ["running", { Running: true }, true],
    ["exited", { Running: false }, "not-running"],
    ["paused", { Running: true, Paused: true }, "paused"],
    ["restarting", { Running: true, Restarting: true }, "restarting"],
    ["health starting", { Running: true, Health: { Status: "starting" } }, "health-starting"],
    ["healthy", { Running: true, Health: { Status: "healthy" } }, true],
    ["unhealthy", { Running: true, Health: { Status: "unhealthy" } }, "unhealthy"],
  ];
  for (const [name, state, expected] of verdicts) {
    it(`serving verdict: ${name}`, () => {
      const v = servingVerdict(container({ State: state }));
      assert.equal(v.serving ? true : v.reason, expected);
    });
  }

  it("reads the first usable binding of a port and ignores junk", () => {
    const c = container({
      NetworkSettings: { Ports: { "53/udp": [{ HostPort: "" }, { HostPort: "5353" }], "80/tcp": null } },
    });
    assert.equal(publishedPort(c, 53, "udp"), 5353);
    assert.equal(publishedPort(c, 80, "tcp"), undefined);
    assert.equal(publishedPort(container({ NetworkSettings: null }), 80, "tcp"), undefined);
  });
});

describe("agent desired state: service owners", () => {
  const owners = parseServiceOwners('{"_calc._tcp":["calc","calc-canary"]}');
  if ("problems" in owners) throw new Error("bad fixture");
  const guarded: HostContext = { ...host, serviceOwners: owners.owners };
  const ports = {
    "8081/tcp": [{ HostIp: "0.0.0.0", HostPort: "32768" }],
    "9090/tcp": [{ HostIp: "0.0.0.0", HostPort: "32769" }],
  };
  const of = (family: string | undefined) =>
    containerRecordSets(
      container(
        {
          Config: {
            Env: ["SERVICE_8081_NAME=_calc._tcp", "SERVICE_9090_NAME=_metrics._tcp"],
            Labels: family === undefined ? {} : { "com.amazonaws.ecs.task-definition-family": family },
          },
          NetworkSettings: { Ports: ports },
        },
        [],
      ),
      guarded,
    );

  it("registers a listed name for an allowed family", () => {
    const out = of("calc-canary");
    assert.deepEqual(out.services, ["_calc._tcp", "_metrics._tcp"]);
    assert.deepEqual(out.problems, []);
  });

  it("skips a listed name for any other family, or a container outside ECS, and keeps its other ports", () => {
    for (const family of ["portal", undefined]) {
      const out = of(family);
      assert.deepEqual(out.services, ["_metrics._tcp"], String(family));
      assert.equal(out.problems.length, 1);
      assert.equal(out.problems[0]?.code, "service-not-owned");
      assert.match(
        out.problems[0]?.message ?? "",
        /_calc\._tcp may be offered only by the task families calc, calc-canary/,
      );
    }
  });

  it("changes nothing when no owners are configured", () => {
    const out = containerRecordSets(
      container({ Config: { Env: ["SERVICE_8081_NAME=_calc._tcp"], Labels: {} } }, []),
      host,
    );
    assert.deepEqual(out.services, ["_calc._tcp"]);
  });

  // Finding 4 of issue 25: one container declared 1,500 ports, each a record set, against the zone's default
  // quota of 10,000 record sets that every container shares.
  it("publishes at most the host's cap of ports per container, the lowest container ports, and says how many were left out", () => {
    const ports = Array.from({ length: 300 }, (_, i) => 20_000 + ((i * 7919) % 300));
    const env = ports.map((p) => `SERVICE_${p}_NAME=_many._tcp`);
    const c = container({ HostConfig: { NetworkMode: "host" }, NetworkSettings: { Ports: {} } }, env);
    const out = containerRecordSets(c, { ...host, maxPortsPerContainer: 16 });
    assert.equal(out.recordSets.length, 16);
    assert.deepEqual(
      out.instances.map((i) => i.service.containerPort),
      Array.from({ length: 16 }, (_, i) => 20_000 + i),
      "the lowest container ports, whatever the order of the variables",
    );
    assert.equal(out.portsOverCap, 284);
    assert.deepEqual(
      out.problems.map((p) => p.code),
      ["too-many-ports"],
    );
    assert.match(
      out.problems[0]?.message ?? "",
      /declares 300 ports, more than the 16 .* other 284 \(from port 20016 up\)/,
    );
    // Without a cap (the record builders' own callers) and within it, nothing is left out.
    assert.equal(containerRecordSets(c, host).recordSets.length, 300);
    const few = container({}, ["SERVICE_8081_NAME=_calc._tcp"]);
    assert.deepEqual(containerRecordSets(few, { ...host, maxPortsPerContainer: 1 }).problems, []);
  });
});
