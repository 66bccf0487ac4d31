// The record sets of one awsvpc task, built from its containers' offers: here, the cap on declared ports per
// container (ECSSD_MAX_PORTS_PER_CONTAINER) that the agent applies to its host's containers, by the same rule.
import assert from "node:assert/strict";
import { capPorts as agentCapPorts } from "../../agent/desiredState";
import { capPorts, DEFAULT_MAX_PORTS_PER_CONTAINER } from "../../records";
import { registrarConfigFromEnv } from "../../registrar/config";
import { type TaskDefinitionShape, taskOffers } from "../../registrar/taskDeclarations";
import { taskRecordSets } from "../../registrar/taskRecords";

const ZONE = "servicediscovery.internal";
const TASK = { taskId: "0123456789abcdef0123456789abcdef", family: "many" };

/** A container declaring `ports` under one service name, its variables in a scrambled order. */
function container(name: string, ports: number[]) {
  const scrambled = ports.map((_, i) => ports[(i * 7) % ports.length] as number);
  return {
    name,
    environment: scrambled.map((p) => ({ name: `SERVICE_${p}_NAME`, value: `_${name}._tcp` })),
  };
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe("taskRecordSets: ports per container", () => {
  // Finding 4 of issue 25, for awsvpc tasks: one container declared 1,500 ports, each a record set, against the
  // zone's default quota of 10,000 record sets that every container shares.
  it("publishes at most the cap of ports per container, the lowest container ports, as the agent does", () => {
    const definition: TaskDefinitionShape = {
      networkMode: "awsvpc",
      containerDefinitions: [container("noisy", range(20_000, 300)), container("quiet", range(8080, 3))],
    };
    const out = taskRecordSets(TASK, "10.0.1.7", taskOffers(definition), {
      zone: ZONE,
      srvTtl: 10,
      routing: "multivalue",
      maxPortsPerContainer: 16,
    });
    // The A record, 16 of noisy's ports, and all 3 of quiet's: the cap is per container, not per task.
    assert.equal(out.recordSets.length, 1 + 16 + 3);
    const ports = out.recordSets
      .filter((s) => s.Type === "SRV")
      .map((s) => Number(s.ResourceRecords[0]?.Value.split(" ")[2]));
    assert.deepEqual(ports, [...range(20_000, 16), ...range(8080, 3)]);
    assert.equal(out.portsOverCap, 284);
    assert.deepEqual(
      out.problems.map((p) => [p.code, p.container]),
      [["too-many-ports", "noisy"]],
    );
    // The agent's line, word for word.
    const agentLine = agentCapPorts(taskOffers(definition)[0]?.declarations.services ?? [], 16).problem;
    assert.equal(out.problems[0]?.message, agentLine?.message);
    assert.match(
      out.problems[0]?.message ?? "",
      /declares 300 ports, more than the 16 .*ECSSD_MAX_PORTS_PER_CONTAINER.* other 284 \(from port 20016 up\)/,
    );
  });

  it("leaves nothing out within the cap, or without one", () => {
    const definition: TaskDefinitionShape = {
      networkMode: "awsvpc",
      containerDefinitions: [container("web", range(8080, 4))],
    };
    const base = { zone: ZONE, srvTtl: 10, routing: "multivalue" as const };
    for (const settings of [{ ...base, maxPortsPerContainer: 4 }, base]) {
      const out = taskRecordSets(TASK, "10.0.1.7", taskOffers(definition), settings);
      assert.equal(out.recordSets.length, 5);
      assert.equal(out.portsOverCap, 0);
      assert.deepEqual(out.problems, []);
    }
  });

  it("is one rule: the agent's capPorts is records' own, and the registrar reads the agent's setting", () => {
    assert.equal(agentCapPorts, capPorts);
    assert.equal(registrarConfigFromEnv({}).maxPortsPerContainer, DEFAULT_MAX_PORTS_PER_CONTAINER);
    assert.equal(registrarConfigFromEnv({ ECSSD_MAX_PORTS_PER_CONTAINER: "3" }).maxPortsPerContainer, 3);
    assert.throws(
      () => registrarConfigFromEnv({ ECSSD_MAX_PORTS_PER_CONTAINER: "0" }),
      /ECSSD_MAX_PORTS_PER_CONTAINER/,
    );
  });
});
