// Agents and the coalescer's token (ECSSD_COALESCER_TOKEN), with the real agent, the real coalescer (core and
// HTTP API) and the local zone: an agent with the token registers; one with another token registers nothing,
// says "the coalescer refuses our token" once a minute at most while it keeps retrying, and registers without
// a restart once the coalescer is redeployed with its token. No log line carries a token.
import { strict as assert } from "node:assert";
import pino from "pino";
import { type HostAgent, startHostAgent } from "../../agent/hostAgent";
import { SimulatedDocker } from "../../bench/support/simulatedDocker";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { type CoalescerServer, startCoalescerServer } from "../coalescer/support/coalescerServer";
import { agentConfig, calcContainer, zoneRecords } from "../kit/agentFixtures";
import { route53For } from "../kit/awsClients";
import { eventually } from "../kit/eventually";

const TOKEN = "T0ken-of-the-coalescer-".padEnd(48, "x");
const OTHER = "An0ther-token-entirely-".padEnd(48, "y");

/** A logger whose lines the test reads back. */
function capturedLog(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: pino({ level: "debug" }, { write: (line: string) => lines.push(line) }), lines };
}

describe("agent and the coalescer's token", function () {
  this.timeout(60_000);
  let zone: LocalZone;
  let server: CoalescerServer;
  const agents: HostAgent[] = [];

  beforeEach(async () => {
    zone = await startLocalZone();
    server = await startCoalescerServer(zone, { token: TOKEN });
  });
  afterEach(async () => {
    for (const agent of agents.splice(0)) await agent.stop(1_000);
    await server.close();
    await zone.close();
  });

  const inZone = () => zoneRecords(zone, route53For(zone));
  const srvOf = (host: string, id: string, port: number) =>
    `_calc._tcp.${zone.zoneName}|SRV|ecssd1:${host}:${id.slice(0, 24)}:8080|1 1 ${port} ${host}.${zone.zoneName}`;

  it("an agent with the token registers through the coalescer", async () => {
    const { log, lines } = capturedLog();
    const docker = new SimulatedDocker();
    const config = agentConfig(zone, "host-a", {
      ECSSD_COALESCER_URL: server.api.url,
      ECSSD_COALESCER_TOKEN: TOKEN,
      ECSSD_ECS_AGENT_URL: "off",
    });
    agents.push(await startHostAgent(config, { log, source: docker }));
    const id = "ab".repeat(32);
    docker.startContainer(calcContainer(id, 32768));
    await eventually(
      async () => (await inZone()).includes(srvOf("host-a", id, 32768)),
      20_000,
      "its SRV set",
    );
    assert.equal(server.api.unauthorized(), 0);
    assert.ok(lines.length > 0);
    assert.deepEqual(
      lines.filter((l) => l.includes(TOKEN)),
      [],
    );
  });

  it("an agent with another token registers nothing, says so once a minute at most, and heals when the coalescer takes its token", async () => {
    const { log, lines } = capturedLog();
    const docker = new SimulatedDocker();
    const id = "cd".repeat(32);
    docker.startContainer(calcContainer(id, 32769));
    const config = agentConfig(zone, "host-b", {
      ECSSD_COALESCER_URL: server.api.url,
      ECSSD_COALESCER_TOKEN: OTHER,
      ECSSD_ZONE_ID: zone.hostedZoneId,
      ECSSD_ECS_AGENT_URL: "off",
    });
    // A short back-off, so that many refused attempts fall within the minute of one warning line.
    const started = startHostAgent(config, { log, source: docker, backoff: { baseMs: 5, capMs: 20 } });
    started.then((agent) => agents.push(agent)).catch(() => undefined);

    await eventually(async () => server.api.unauthorized() >= 20, 20_000, "twenty refused attempts");
    // Every attempt is a debug line (LOG_LEVEL=debug shows them); what an operator sees by default, info and
    // above, is one warning.
    const refusals = lines.filter(
      (l) => l.includes("refuses our token") && (JSON.parse(l) as { level: number }).level >= 30,
    );
    assert.equal(refusals.length, 1, `one warning line, not one per attempt:\n${refusals.join("")}`);
    assert.equal((JSON.parse(refusals[0] as string) as { level: number }).level, 40);
    assert.match(refusals[0] as string, /CoalescerTokenRefusedError/);
    assert.match(refusals[0] as string, /ECSSD_COALESCER_TOKEN/);
    assert.deepEqual(await inZone(), [], "nothing of host-b in the zone");

    // The coalescer is redeployed with the agent's token, on the same address: the agent, never restarted,
    // gets through and registers its host and its container.
    const port = server.api.port;
    await server.close();
    server = await startCoalescerServer(zone, { token: OTHER, port });
    await started;
    await eventually(
      async () => (await inZone()).includes(srvOf("host-b", id, 32769)),
      20_000,
      "its SRV set",
    );
    assert.deepEqual(
      await inZone(),
      [srvOf("host-b", id, 32769), `host-b.${zone.zoneName}|A|ecssd1:host-b|127.0.0.1`].sort(),
    );
    assert.deepEqual(
      lines.filter((l) => l.includes(TOKEN) || l.includes(OTHER)),
      [],
      "no log line carries a token",
    );
  });
});
