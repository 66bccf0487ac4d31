// An agent configured with ECSSD_COALESCER_URL, against the real coalescer (core and HTTP API) over the local
// zone: it registers a container and removes it on its stop through the coalescer, takes the zone id from it,
// and makes no Route53 request of its own.
import { strict as assert } from "node:assert";
import pino from "pino";
import { type HostAgent, startHostAgent } from "../../agent/hostAgent";
import { SimulatedDocker } from "../../bench/support/simulatedDocker";
import { COALESCER_ROUTES } from "../../coalescer/apiContract";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { type CoalescerServer, startCoalescerServer } from "../coalescer/support/coalescerServer";
import { agentConfig, calcContainer, zoneRecords } from "../kit/agentFixtures";
import { route53For } from "../kit/awsClients";
import { eventually } from "../kit/eventually";

const CONTAINER_ID = "ab".repeat(32);

describe("agent through the coalescer (ECSSD_COALESCER_URL)", function () {
  this.timeout(60_000);
  let zone: LocalZone;
  let server: CoalescerServer;
  let agent: HostAgent | undefined;

  beforeEach(async () => {
    zone = await startLocalZone();
    server = await startCoalescerServer(zone);
  });
  afterEach(async () => {
    await agent?.stop(1_000);
    agent = undefined;
    await server.close();
    await zone.close();
  });

  const inZone = () => zoneRecords(zone, route53For(zone));

  it("registers a container and removes it on its stop, with every Route53 request the coalescer's", async () => {
    const docker = new SimulatedDocker();
    // The Route53 endpoint stays configured: with a coalescer the agent must not use it.
    const config = agentConfig(zone, "host-a", {
      ECSSD_COALESCER_URL: server.api.url,
      ECSSD_ECS_AGENT_URL: "off",
    });
    agent = await startHostAgent(config, { log: pino({ level: "silent" }), source: docker });
    assert.equal(agent.zoneId, zone.hostedZoneId, "the zone id comes from the coalescer's status");

    docker.startContainer(calcContainer(CONTAINER_ID, 32768));
    const srv = `_calc._tcp.${zone.zoneName}|SRV|ecssd1:host-a:${CONTAINER_ID.slice(0, 24)}:8080|1 1 32768 host-a.${zone.zoneName}`;
    const host = `host-a.${zone.zoneName}|A|ecssd1:host-a|127.0.0.1`;
    await eventually(
      async () => (await inZone()).includes(srv),
      20_000,
      "the container's SRV set in the zone",
    );
    assert.deepEqual(await inZone(), [srv, host].sort());

    docker.stopContainer(CONTAINER_ID, true);
    await eventually(async () => !(await inZone()).includes(srv), 20_000, "the SRV set gone from the zone");
    assert.deepEqual(await inZone(), [host]);

    // The test's own listings aside, the zone saw only the coalescer's requests, and the agent made none.
    const stats = zone.stats();
    const coalescers = (action: string) => server.calls.filter((a) => a === action).length;
    assert.equal(stats.ChangeResourceRecordSets, coalescers("ChangeResourceRecordSets"));
    for (const action of Object.keys(stats).filter((a) => a !== "ListResourceRecordSets"))
      assert.equal(stats[action], coalescers(action), action);
    const routes: string[] = Object.values(COALESCER_ROUTES);
    assert.deepEqual(
      [...agent.metrics.callCounts.keys()].filter((a) => !routes.includes(a)),
      [],
    );
    assert.ok(
      (agent.metrics.callCounts.get(COALESCER_ROUTES.changes) ?? 0) >= 2,
      "its submits, counted by route",
    );
  });

  it("refuses to start against a coalescer of another zone", async () => {
    const config = agentConfig(zone, "host-a", {
      ECSSD_COALESCER_URL: server.api.url,
      ECSSD_ECS_AGENT_URL: "off",
      ECSSD_ZONE_NAME: "other.internal",
    });
    await assert.rejects(
      startHostAgent(config, { log: pino({ level: "silent" }), source: new SimulatedDocker() }),
      /writes the zone servicediscovery\.internal, not other\.internal/,
    );
  });
});
