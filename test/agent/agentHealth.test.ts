// The agent's declared health checks end to end, with real containers on the local engine and the local
// zone's DNS on the wire: a port enters DNS after its first pass, leaves after N failures and returns after
// M passes; a port that never passes is never registered; a hanging endpoint costs one timeout per check.
// And the reconciler's verdict sticks: an instance it took out stays out through an agent restart.
import assert from "node:assert/strict";
import type { Route53Client } from "@aws-sdk/client-route-53";
import pino from "pino";
import type { HostAgent } from "../../agent/hostAgent";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { reconcile, reconcilerConfig } from "../../reconciler";
import { zoneRecords } from "../kit/agentFixtures";
import { route53For } from "../kit/awsClients";
import { baseImage, DockerCli, HEALTH_SERVER, RUN_ID, setHealth } from "../kit/docker";
import { eventually } from "../kit/eventually";
import { type MemoryLog, memoryLog, srvPorts, startAgent } from "./agentHarness";

describe("agent health checks with Docker and the local zone", function () {
  this.timeout(60_000);
  const docker = new DockerCli();
  const hostId = `hc-${RUN_ID}`;
  let image: string;
  let zone: LocalZone;
  let client: Route53Client;
  let agent: HostAgent;
  let log: MemoryLog;
  let n = 0;
  const service = () => `_h${++n}x${RUN_ID}._tcp`;
  const fqdn = (s: string) => `${s}.${zone.zoneName}`;

  const inDns = (s: string) => srvPorts(zone, s);

  /** A HEALTH_SERVER container offering `s` with the given check settings; returns its id and host port. */
  async function runChecked(s: string, check: string[], mode = "ok"): Promise<{ id: string; port: number }> {
    const id = await docker.runContainer(
      image,
      [
        "-e",
        `SERVICE_8080_NAME=${s}`,
        ...check.flatMap((c) => ["-e", c]),
        "-e",
        `MODE=${mode}`,
        "-p",
        "127.0.0.1::8080",
      ],
      HEALTH_SERVER,
    );
    return { id, port: await docker.hostPort(id, "8080") };
  }

  // These tests time the checks; the DNS hold-down (its own tests: checkSchedule, chaosBounds) is kept short.
  const AGENT_ENV = { ECSSD_METRICS_PORT: "0", ECSSD_RESYNC_SECONDS: "1", ECSSD_DNS_HOLD_DOWN_SECONDS: "1" };

  const FAST = [
    "SERVICE_8080_CHECK_HTTP=/health",
    // The floors: an interval of a second, two results either way (records/checkDeclarations.ts).
    "SERVICE_8080_CHECK_INTERVAL=1s",
    "SERVICE_8080_CHECK_TIMEOUT=500ms",
    "SERVICE_8080_CHECK_UNHEALTHY_THRESHOLD=2",
    "SERVICE_8080_CHECK_HEALTHY_THRESHOLD=2",
  ];

  before(async function () {
    this.timeout(300_000);
    image = await baseImage();
    zone = await startLocalZone();
    client = route53For(zone);
    log = memoryLog();
    agent = await startAgent(zone, hostId, { log: log.logger }, AGENT_ENV);
  });

  after(async function () {
    this.timeout(120_000);
    await agent?.stop();
    await docker.removeOurs();
    await zone?.close();
  });

  it("registers after the first pass, leaves DNS after failing, and comes back after passing again", async () => {
    const s = service();
    const { port } = await runChecked(s, FAST);
    await eventually(async () => (await inDns(s)).join() === String(port), 10_000, "registered after a pass");
    // Before the SRV set, the agent wrote its marker: the reconciler leaves this port's health to the agent.
    const marker = (await zoneRecords(zone, client)).find((r) => r.startsWith(`${fqdn(s)}|TXT|`));
    assert.match(marker ?? "", /ecssd1 check=agent kind=http/);

    const failedAt = Date.now();
    await setHealth(port, "fail");
    await eventually(async () => (await inDns(s)).length === 0, 10_000, "gone after failing");
    // 2 failures 1 s apart (the first up to an interval after the failure began), plus the flush window and
    // a DNS round trip: under 3.5 s.
    assert.ok(Date.now() - failedAt < 3_500, `left DNS after ${Date.now() - failedAt} ms`);
    assert.ok(
      log.lines.some((l) => l.service === s && l.to === "failing" && l.detail === "HTTP 500"),
      "the transition is logged with what the check saw",
    );

    await setHealth(port, "ok");
    await eventually(async () => (await inDns(s)).join() === String(port), 10_000, "back after passing");
    const metrics = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
    assert.match(metrics, /ecssd_agent_check_transitions_total\{to="failing"\} [1-9]/);
    assert.match(metrics, /ecssd_agent_checks\{state="passing"\} [1-9]/);
    assert.match(metrics, /ecssd_agent_check_duration_seconds_count\{kind="http",result="fail"\} [1-9]/);
  });

  it("never registers a port whose check never passes", async () => {
    const s = service();
    const { port } = await runChecked(s, FAST, "fail");
    await eventually(
      async () => log.lines.some((l) => l.service === s && l.action === "wait"),
      10_000,
      "the agent says it waits for the check",
    );
    // Two intervals later it is still out, in DNS and in the zone's API.
    await new Promise((r) => setTimeout(r, 2_000));
    assert.deepEqual(await inDns(s), []);
    assert.equal((await zoneRecords(zone, client)).filter((r) => r.startsWith(`${fqdn(s)}|SRV|`)).length, 0);
    await setHealth(port, "ok");
    await eventually(
      async () => (await inDns(s)).join() === String(port),
      10_000,
      "registered once it passes",
    );
  });

  it("counts a hanging endpoint as one timeout per check, and keeps checking everything else", async () => {
    const hanging = service();
    const healthy = service();
    const a = await runChecked(hanging, FAST);
    const b = await runChecked(healthy, FAST);
    await eventually(async () => (await inDns(hanging)).length === 1 && (await inDns(healthy)).length === 1);
    const hungAt = Date.now();
    await setHealth(a.port, "hang");
    await eventually(async () => (await inDns(hanging)).length === 0, 10_000, "a hanging port leaves DNS");
    // Two checks, each costing its 500 ms timeout, an interval apart (the first up to an interval after).
    const took = Date.now() - hungAt;
    assert.ok(took < 4_000, `left after ${took} ms`);
    const line = log.lines.find((l) => l.service === hanging && l.to === "failing");
    assert.equal(line?.detail, "timed out after 500 ms");
    // The other container kept passing all along and is still in DNS; a flip of it is still seen at once.
    assert.deepEqual(await inDns(healthy), [b.port]);
    await setHealth(b.port, "fail");
    await eventually(async () => (await inDns(healthy)).length === 0, 5_000, "the other port still checked");
  });

  it("registers a port with malformed check settings as if it declared none, saying so once", async () => {
    const s = service();
    const { port } = await runChecked(s, ["SERVICE_8080_CHECK_HTTP=health"], "fail");
    await eventually(async () => (await inDns(s)).join() === String(port), 10_000, "registered unchecked");
    const lines = log.lines.filter(
      (l) => l.key === "SERVICE_8080_CHECK_HTTP" && l.problem === "invalid-check",
    );
    assert.ok(lines.length >= 1);
    await agent.agent.resync();
    assert.equal(
      log.lines.filter((l) => l.key === "SERVICE_8080_CHECK_HTTP" && l.problem === "invalid-check").length,
      lines.length,
      "a resync does not repeat the line",
    );
  });

  it("keeps an instance the reconciler took out out of DNS, through an agent restart, until it passes again", async function () {
    this.timeout(90_000);
    const s = service();
    // No agent check: this port's health is the reconciler's.
    const id = await docker.runContainer(
      image,
      ["-e", `SERVICE_8080_NAME=${s}`, "-p", "127.0.0.1::8080"],
      HEALTH_SERVER,
    );
    const port = await docker.hostPort(id, "8080");
    await eventually(async () => (await inDns(s)).join() === String(port), 10_000, "registered");
    const config = reconcilerConfig({
      zoneName: zone.zoneName,
      zoneId: zone.hostedZoneId,
      inventory: "docker",
      hostId,
      healthAttempts: 1,
      healthTimeoutMs: 1_000,
      // Other tests' containers share this host; the run may take out several at once.
      maxDeleteShare: 1,
    });
    const deps = { route53: client, docker: docker.dockerode(), logger: pino({ level: "silent" }) };

    await setHealth(port, "fail");
    const out = await reconcile(deps, config);
    assert.ok(out.health.verdicts.written >= 1, JSON.stringify(out.health));
    assert.deepEqual(await inDns(s), []);
    const verdict = (await zoneRecords(zone, client)).find((r) => r.startsWith(`${fqdn(s)}|TXT|`));
    assert.match(verdict ?? "", /ecssd1 verdict=unhealthy port=\d+ since=/);

    // A zone re-read and several resyncs (1 s each) later, the agent has not written it back...
    agent.loop.requestZoneRefresh();
    await new Promise((r) => setTimeout(r, 2_500));
    assert.deepEqual(await inDns(s), []);
    assert.ok(
      log.lines.some((l) => l.action === "verdict"),
      "the agent says why it holds the instance",
    );
    // ...nor does a restarted agent.
    await agent.stop();
    agent = await startAgent(zone, hostId, { log: log.logger }, AGENT_ENV);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.deepEqual(await inDns(s), []);

    // Still failing: the verdict holds. Passing: the reconciler lifts it, and the agent writes the instance
    // back within a resync period.
    assert.equal((await reconcile(deps, config)).health.verdicts.held >= 1, true);
    await setHealth(port, "ok");
    const lifted = await reconcile(deps, config);
    assert.ok(lifted.health.verdicts.lifted >= 1, JSON.stringify(lifted.health));
    await eventually(async () => (await inDns(s)).join() === String(port), 5_000, "back once healthy");
  });
});
