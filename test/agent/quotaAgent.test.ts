// The real host agent in a zone whose record-set quota is lowered (the local zone's maxRecordSetsPerZone,
// through the real SDK): it says which zone is full at most once a minute, keeps what it could not add
// pending rather than skipping it, still takes stopped containers out at once, and writes what waited as soon
// as the quota is raised, without the container changing. Its gauges show the zone's sets against the quota.
import assert from "node:assert/strict";
import type { ContainerDescription } from "../../agent/containerSource";
import { type HostAgent, startHostAgent } from "../../agent/hostAgent";
import type { Log } from "../../agent/syncLoop";
import { SimulatedDocker } from "../../bench/support/simulatedDocker";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { QuotaWarning } from "../../route53/recordSetQuota";
import { agentConfig } from "../kit/agentFixtures";

const HOST = "i-0quota";

function container(n: number): ContainerDescription {
  return {
    Id: String(n).repeat(64).slice(0, 64),
    Name: `/calc-${n}`,
    Config: { Env: ["SERVICE_8080_NAME=_calc._tcp"], Labels: {} },
    State: { Running: true, Paused: false, Restarting: false },
    HostConfig: { NetworkMode: "bridge" },
    NetworkSettings: { Ports: { "8080/tcp": [{ HostIp: "0.0.0.0", HostPort: String(32000 + n) }] } },
  };
}

function recordingLog() {
  const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
  const log: Log = {
    debug() {},
    info() {},
    error() {},
    warn: (obj, msg) => void warnings.push({ obj: { ...obj }, msg: msg ?? "" }),
  };
  return { log, quota: () => warnings.filter((w) => w.obj.action === "record-set-quota") };
}

/** Waits for a condition the agent reaches on its own; fails with `what` after a generous bound. */
async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function metric(
  agent: HostAgent,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const values = (await agent.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
}

/** Our SRV targets' ports in the zone. */
async function srvPorts(zone: LocalZone): Promise<number[]> {
  const res = await fetch(
    `${zone.apiUrl}/2013-04-01/hostedzone/${zone.hostedZoneId}/rrset?type=SRV&name=_calc._tcp.${zone.zoneName}`,
  );
  const xml = await res.text();
  return [...xml.matchAll(/<Value>\d+ \d+ (\d+) /g)].map((m) => Number(m[1])).sort();
}

describe("agent: the zone's record-set quota", function () {
  this.timeout(60_000);
  let zone: LocalZone;
  let agent: HostAgent | undefined;

  afterEach(async () => {
    await agent?.stop(1_000);
    agent = undefined;
    await zone?.close();
  });

  it("warns once a minute, keeps the change pending, deletes at once, and writes it when the quota is raised", async () => {
    // The apex SOA and NS, the host's A record and one instance: the zone is full with one container.
    zone = await startLocalZone({ zoneName: "quota.internal", faults: { maxRecordSetsPerZone: 4 } });
    const docker = new SimulatedDocker();
    docker.startContainer(container(1));
    let now = 0;
    const r = recordingLog();
    agent = await startHostAgent(agentConfig(zone, HOST, { ECSSD_ECS_AGENT_URL: "off" }), {
      log: r.log,
      source: docker,
      backoff: { baseMs: 5, capMs: 20 },
      quotaWarning: new QuotaWarning(r.log, { now: () => now }),
    });
    assert.ok(await agent.loop.flush(10_000), "one container fits");
    assert.deepEqual(await srvPorts(zone), [32001]);
    assert.equal(r.quota().length, 0);

    docker.startContainer(container(2));
    docker.startContainer(container(3));
    const refusals = () =>
      metric(agent as HostAgent, "ecssd_agent_errors_total", { kind: "record-set-quota" });
    await until("the zone refused five batches", async () => ((await refusals()) ?? 0) >= 5);
    assert.equal(r.quota().length, 1, "one line within the minute, however often it is refused");
    assert.deepEqual(r.quota()[0]?.obj, {
      action: "record-set-quota",
      zone: "quota.internal",
      zoneId: zone.hostedZoneId,
      used: 4,
      limit: 4,
    });
    assert.equal(
      r.quota()[0]?.msg,
      `zone quota.internal (${zone.hostedZoneId}) is full: 4 of 4 record sets; raise the "Records per hosted zone" quota of the zone (Service Quotas or AWS Support) or remove record sets`,
    );
    assert.equal(
      agent.loop.rejectedCount,
      0,
      "a full zone is not a change refused on its own: nothing is skipped",
    );
    assert.equal(agent.loop.pendingChanges().length, 2);

    now = 60_000;
    const before = (await refusals()) ?? 0;
    await until("the zone refused again", async () => ((await refusals()) ?? 0) > before);
    await until("a second line, a minute later", () => r.quota().length === 2);
    assert.ok(Number(r.quota()[1]?.obj.suppressed) >= 4, "it counts the refusals it did not log");

    // A stop is never held up by a full zone: the delete goes alone, the two adds wait.
    docker.stopContainer(container(1).Id, true);
    await until("container 1 left the zone", async () => !(await srvPorts(zone)).includes(32001));
    assert.deepEqual(
      agent.loop.pendingChanges().map((c) => c.action),
      ["CREATE", "CREATE"],
    );
    assert.deepEqual(await srvPorts(zone), []);

    // Room is made by raising the quota: what waited lands, with no container event.
    zone.setFaults({ maxRecordSetsPerZone: 10 });
    assert.ok(await agent.loop.flush(10_000), "converged once the quota is raised");
    assert.deepEqual(await srvPorts(zone), [32002, 32003]);
    assert.equal(r.quota().length, 2);
  });

  it("shows the zone's record sets against its quota after start", async () => {
    zone = await startLocalZone({ zoneName: "gauges.internal", faults: { maxRecordSetsPerZone: 50 } });
    const docker = new SimulatedDocker();
    docker.startContainer(container(1));
    // The first ask comes at a random point within the hour: one second here.
    agent = await startHostAgent(agentConfig(zone, HOST, { ECSSD_ECS_AGENT_URL: "off" }), {
      log: recordingLog().log,
      source: docker,
      usageFirstWithinMs: 1_000,
    });
    assert.ok(await agent.loop.flush(10_000));
    // A gauge reads 0 until it is set.
    await until(
      "the limit gauge is set",
      async () => (await metric(agent as HostAgent, "ecssd_agent_zone_record_sets_limit")) === 50,
    );
    // SOA, NS, the host's A record and the instance.
    assert.equal(await metric(agent, "ecssd_agent_zone_record_sets"), 4);
    assert.equal(await metric(agent, "ecssd_agent_api_calls_total", { action: "GetHostedZoneLimit" }), 1);
  });
});
