// The real host agent (a simulated Docker host, the local zone through the real SDK) writes its CloudWatch
// metrics as EMF lines, with the values of what happened: writes answered PriorRequestNotComplete counted as
// throttled, writes refused for the zone's record-set quota as rejected, the records written and deleted, and
// failures in a row back to 0 once the zone answers again. The Prometheus counters tell the same story.
import assert from "node:assert/strict";
import type { ContainerDescription } from "../../agent/containerSource";
import { type HostAgent, startHostAgent } from "../../agent/hostAgent";
import type { Log } from "../../agent/syncLoop";
import { SimulatedDocker } from "../../bench/support/simulatedDocker";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { agentConfig } from "../kit/agentFixtures";
import { emfSink, metricNames, total } from "./emfLines";

const HOST = "i-0emf";
const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };

function container(n: number): ContainerDescription {
  return {
    Id: String(n).repeat(64).slice(0, 64),
    Name: `/time-${n}`,
    Config: { Env: ["SERVICE_8080_NAME=_time._tcp"], Labels: {} },
    State: { Running: true, Paused: false, Restarting: false },
    HostConfig: { NetworkMode: "bridge" },
    NetworkSettings: { Ports: { "8080/tcp": [{ HostIp: "0.0.0.0", HostPort: String(31000 + n) }] } },
  };
}

async function until(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function prom(agent: HostAgent, name: string, labels: Record<string, string> = {}): Promise<number> {
  const values = (await agent.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((a, v) => a + v.value, 0);
}

describe("metrics: the agent's EMF lines", function () {
  this.timeout(60_000);
  let zone: LocalZone | undefined;
  let agent: HostAgent | undefined;

  afterEach(async () => {
    await agent?.stop(1_000);
    agent = undefined;
    await zone?.close();
  });

  it("counts throttled writes as throttled, refused ones as rejected, and records written and deleted", async () => {
    zone = await startLocalZone({ zoneName: "emf.internal", faults: { priorRequestNotCompleteRate: 1 } });
    const docker = new SimulatedDocker();
    docker.startContainer(container(1));
    docker.startContainer(container(2));
    const sink = emfSink();
    agent = await startHostAgent(agentConfig(zone, HOST, { ECSSD_ECS_AGENT_URL: "off" }), {
      log: quiet,
      source: docker,
      backoff: { baseMs: 5, capMs: 20 },
      emf: { write: sink.write },
    });
    const a = agent;
    await until(
      "three writes were throttled",
      async () => (await prom(a, "ecssd_agent_throttles_total")) >= 3,
    );
    assert.ok((await prom(a, "ecssd_agent_consecutive_failed_syncs")) >= 3);
    assert.equal(await prom(a, "ecssd_agent_last_sync_timestamp_seconds"), 0, "never in sync yet");

    // SOA, NS, the host's A record: room for one instance of the two.
    zone.setFaults({ maxRecordSetsPerZone: 4 });
    await until(
      "the zone refused a write for its quota",
      async () => (await prom(a, "ecssd_agent_errors_total", { kind: "record-set-quota" })) >= 1,
    );
    // The refusal asks the zone's usage (GetHostedZoneLimit) on its way: let it answer before the quota goes.
    await until(
      "the refusal's usage was read",
      async () => (await prom(a, "ecssd_agent_zone_record_sets_limit")) === 4,
    );
    zone.setFaults({});
    assert.ok(await a.loop.flush(10_000), "converged once the zone takes the writes");
    docker.stopContainer(container(1).Id, true);
    assert.ok(await a.loop.flush(10_000));
    assert.equal(a.loop.pendingChanges().length, 0);

    const throttled = await prom(a, "ecssd_agent_throttles_total");
    const rejected =
      (await prom(a, "ecssd_agent_errors_total", { kind: "record-set-quota" })) +
      (await prom(a, "ecssd_agent_errors_total", { kind: "invalid-change-batch" }));
    const requests = await prom(a, "ecssd_agent_api_calls_total");
    const batches = await prom(a, "ecssd_agent_batches_applied_total");
    assert.ok((await prom(a, "ecssd_agent_last_sync_timestamp_seconds")) > 0);
    await a.stop(1_000);
    agent = undefined;

    // The stop writes the last line; a slow run may have written one a minute before it.
    assert.ok(sink.docs.length >= 1);
    const last = sink.docs.at(-1) as NonNullable<(typeof sink.docs)[0]>;
    assert.deepEqual(metricNames(last).sort(), [
      "AgentBatchesApplied",
      "AgentChecksFailing",
      "AgentConsecutiveFailedSyncs",
      "AgentRecordsDeleted",
      "AgentRecordsWritten",
      "AgentRoute53Errors",
      "AgentRoute53Rejected",
      "AgentRoute53Requests",
      "AgentRoute53Throttled",
      "AgentSecondsSinceSync",
      "AgentStartToZoneSeconds",
      "AgentZoneRecordSets",
      "AgentZoneRecordSetsLimit",
    ]);
    // Asked of the zone (GetHostedZoneLimit) when it refused the first write for its quota: SOA and NS only,
    // the host's A record and both instances being in the refused batch.
    assert.equal(last.AgentZoneRecordSets, 2);
    assert.equal(last.AgentZoneRecordSetsLimit, 4);
    assert.equal(last.host, HOST);
    assert.equal(total(sink.docs, "AgentRoute53Throttled"), throttled);
    assert.ok(total(sink.docs, "AgentRoute53Rejected") >= 1);
    assert.equal(total(sink.docs, "AgentRoute53Rejected"), rejected);
    assert.equal(total(sink.docs, "AgentRoute53Requests"), requests);
    assert.equal(total(sink.docs, "AgentBatchesApplied"), batches);
    // The host's A record and two instances written; one instance deleted.
    assert.equal(total(sink.docs, "AgentRecordsWritten"), 3);
    assert.equal(total(sink.docs, "AgentRecordsDeleted"), 1);
    assert.equal(total(sink.docs, "AgentRoute53Errors"), 0);
    assert.equal(last.AgentConsecutiveFailedSyncs, 0, "the zone answers again");
    assert.equal(last.AgentChecksFailing, 0);
    // Start → in the zone: once per instance that entered (two), in Prometheus and in the lines alike.
    const latencies = sink.docs.flatMap((doc) => {
      const v = doc.AgentStartToZoneSeconds;
      return v === undefined ? [] : Array.isArray(v) ? v : [v];
    }) as number[];
    assert.equal(latencies.length, 2);
    assert.ok(
      latencies.every((v) => v >= 0 && v < 30),
      JSON.stringify(latencies),
    );
    assert.ok((last.AgentSecondsSinceSync as number) < 60, "it was in sync when it stopped");
  });
});
