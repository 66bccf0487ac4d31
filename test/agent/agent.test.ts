// The agent against the machine's Docker engine and the local zone: what a user sees in DNS (dig) and in
// the zone's API (ListResourceRecordSets) when containers start, stop, crash, pause, turn (un)healthy.
import assert from "node:assert/strict";
import type { Route53Client } from "@aws-sdk/client-route-53";
import { ChangeResourceRecordSetsCommand } from "@aws-sdk/client-route-53";
import { DockerSource } from "../../agent/dockerSource";
import { type HostAgent, removeHostRecords } from "../../agent/hostAgent";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { agentConfig, zoneRecords } from "../kit/agentFixtures";
import { route53For } from "../kit/awsClients";
import { digShortCanonical } from "../kit/dig";
import { baseImage, DockerCli, RUN_ID } from "../kit/docker";
import { eventually } from "../kit/eventually";
import {
  deleteBehindAgentsBack,
  healthImage,
  type MemoryLog,
  memoryLog,
  SERVE_FOREVER,
  srvPorts,
  startAgent,
} from "./agentHarness";

describe("agent with Docker and the local zone", function () {
  this.timeout(60_000);
  const docker = new DockerCli();
  const hostId = `it-${RUN_ID}`;
  let image: string;
  let zone: LocalZone;
  let client: Route53Client;
  let agent: HostAgent;
  let log: MemoryLog;
  let n = 0;

  /** A service name no other test (or engineer) uses. */
  const service = () => `_t${++n}x${RUN_ID}._tcp`;
  const fqdn = (s: string) => `${s}.${zone.zoneName}`;
  const target = () => `${hostId}.${zone.zoneName}`;

  /** Ports the zone announces for a service, through DNS and through the API; both must agree. */
  async function announced(s: string): Promise<number[]> {
    const dns = (await digShortCanonical(zone, "SRV", fqdn(s))).map((v) => {
      const [, , port, t] = v.split(" ");
      assert.equal(t, target());
      return Number(port);
    });
    const api = (await zoneRecords(zone, client))
      .filter((r) => r.startsWith(`${fqdn(s)}|SRV|`))
      .map((r) => Number(r.split("|")[3]?.split(" ")[2]));
    assert.deepEqual(dns.sort(), api.sort(), "DNS and the API disagree");
    return dns.sort((a, b) => a - b);
  }

  async function expectAnnounced(s: string, ports: number[], timeoutMs = 10_000): Promise<void> {
    const want = [...ports].sort((a, b) => a - b);
    await eventually(
      async () => JSON.stringify(await announced(s)) === JSON.stringify(want),
      timeoutMs,
      `${s} → [${want}]`,
    );
  }

  async function run(s: string, opts: string[] = [], command = SERVE_FOREVER, port = 8081): Promise<string> {
    return docker.runContainer(
      image,
      ["-e", `SERVICE_${port}_NAME=${s}`, "-p", `127.0.0.1::${port}`, ...opts],
      command,
    );
  }

  before(async function () {
    this.timeout(300_000);
    image = await baseImage();
    zone = await startLocalZone();
    client = route53For(zone);
    log = memoryLog();
    agent = await startAgent(zone, hostId, { log: log.logger }, { ECSSD_METRICS_PORT: "0" });
  });

  after(async function () {
    this.timeout(120_000);
    await agent?.stop();
    await docker.removeOurs();
    await docker.exec(["rmi", "-f", `ecssd/agent-test-health:${RUN_ID}`]).catch(() => {});
    await zone?.close();
  });

  it("publishes the host's A record", async () => {
    await eventually(
      async () => (await digShortCanonical(zone, "A", target())).join() === "127.0.0.1",
      5000,
      "host A record",
    );
  });

  it("registers on start and deregisters on stop", async () => {
    const s = service();
    const id = await run(s);
    await expectAnnounced(s, [await docker.hostPort(id, "8081/tcp")]);
    await docker.exec(["stop", "-t", "5", id]);
    await expectAnnounced(s, []);
  });

  it("leaves DNS at the first sign of a stop, while the container still runs", async () => {
    const s = service();
    // Ignores SIGTERM for a few seconds, as a server draining its connections would.
    const id = await run(
      s,
      [],
      [
        "node",
        "-e",
        "process.on('SIGTERM',()=>setTimeout(()=>process.exit(0),4000));setInterval(()=>{},1000)",
      ],
    );
    await expectAnnounced(s, [await docker.hostPort(id, "8081/tcp")]);
    const stopping = docker.exec(["stop", "-t", "10", id]);
    await expectAnnounced(s, [], 2500);
    assert.equal(await docker.running(id), true, "the container should still be draining");
    await stopping;
  });

  it("deregisters on kill -9 and on kill -s TERM, not on kill -s HUP", async () => {
    const s = service();
    const a = await run(
      s,
      [],
      [
        "node",
        "-e",
        "process.on('SIGHUP',()=>{});process.on('SIGTERM',()=>setTimeout(()=>process.exit(0),3000));setInterval(()=>{},1000)",
      ],
    );
    const b = await run(s);
    const [pa, pb] = [await docker.hostPort(a, "8081/tcp"), await docker.hostPort(b, "8081/tcp")];
    await expectAnnounced(s, [pa, pb]);
    await docker.exec(["kill", "-s", "HUP", a]);
    await docker.exec(["kill", "-s", "KILL", b]);
    await expectAnnounced(s, [pa]);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await announced(s), [pa], "HUP must not deregister");
    await docker.exec(["kill", "-s", "TERM", a]);
    await expectAnnounced(s, [], 2500);
  });

  it("deregisters a container whose process crashes, and registers it again when it is restarted", async () => {
    const s = service();
    const id = await run(
      s,
      [],
      ["node", "-e", "setTimeout(()=>process.exit(3),2500);setInterval(()=>{},1000)"],
    );
    await expectAnnounced(s, [await docker.hostPort(id, "8081/tcp")]);
    await expectAnnounced(s, [], 8000);
    assert.equal(await docker.exec(["inspect", "-f", "{{.State.ExitCode}}", id]), "3");
    await docker.exec(["start", id]);
    await expectAnnounced(s, [await docker.hostPort(id, "8081/tcp")]);
  });

  it("follows docker restart to the new host port", async () => {
    const s = service();
    const id = await run(s);
    await expectAnnounced(s, [await docker.hostPort(id, "8081/tcp")]);
    await docker.exec(["restart", "-t", "2", id]);
    await expectAnnounced(s, [await docker.hostPort(id, "8081/tcp")]);
    assert.equal((await zoneRecords(zone, client)).filter((r) => r.startsWith(`${fqdn(s)}|`)).length, 1);
  });

  it("deregisters a paused container and registers it again on unpause", async () => {
    const s = service();
    const id = await run(s);
    const port = await docker.hostPort(id, "8081/tcp");
    await expectAnnounced(s, [port]);
    await docker.exec(["pause", id]);
    await expectAnnounced(s, []);
    await docker.exec(["unpause", id]);
    await expectAnnounced(s, [port]);
  });

  it("registers a container with a HEALTHCHECK only once healthy, and deregisters it when unhealthy", async () => {
    const s = service();
    const healthy = await healthImage(docker, image);
    const id = await docker.runContainer(
      healthy,
      ["-e", `SERVICE_8081_NAME=${s}`, "-p", "127.0.0.1::8081"],
      SERVE_FOREVER,
    );
    const port = await docker.hostPort(id, "8081/tcp");
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(await announced(s), [], "not registered before healthy");
    await docker.exec(["exec", id, "node", "-e", "require('fs').writeFileSync('/tmp/ok','')"]);
    await expectAnnounced(s, [port]);
    await docker.exec(["exec", id, "node", "-e", "require('fs').rmSync('/tmp/ok')"]);
    await expectAnnounced(s, []);
  });

  it("registers every service of a container with several", async () => {
    const [s1, s2] = [service(), service()];
    const id = await docker.runContainer(
      image,
      [
        "-e",
        `SERVICE_8081_NAME=${s1}`,
        "-e",
        `SERVICE_9090_NAME=${s2}`,
        "-e",
        "SERVICE_9090_PRIORITY=5",
        "-p",
        "127.0.0.1::8081",
        "-p",
        "127.0.0.1::9090",
      ],
      SERVE_FOREVER,
    );
    await expectAnnounced(s1, [await docker.hostPort(id, "8081/tcp")]);
    await expectAnnounced(s2, [await docker.hostPort(id, "9090/tcp")]);
    assert.match((await digShortCanonical(zone, "SRV", fqdn(s2)))[0] ?? "", /^5 1 /);
    await docker.exec(["rm", "-f", id]);
    await expectAnnounced(s1, []);
    await expectAnnounced(s2, []);
  });

  it("uses the container port in host network mode", async () => {
    const s = service();
    await docker.runContainer(image, ["--network", "host", "-e", `SERVICE_18081_NAME=${s}`], SERVE_FOREVER);
    await expectAnnounced(s, [18081]);
  });

  it("skips malformed declarations and unpublished ports with one clear log line each, never logging the environment", async () => {
    const [good, bad] = [service(), service()];
    const id = await docker.runContainer(
      image,
      [
        "-e",
        `SERVICE_8081_NAME=${good}`,
        "-e",
        "SERVICE_8082_NAME=not-a-service",
        "-e",
        `SERVICE_8083_NAME=${bad}`,
        "-e",
        "SERVICE_8081_WEIGHT=7",
        "-e",
        "SERVICE_8084_WEIGHT=70000",
        "-e",
        "DB_PASSWORD=hunter2-secret",
        "-p",
        "127.0.0.1::8081",
      ],
      SERVE_FOREVER,
    );
    await expectAnnounced(good, [await docker.hostPort(id, "8081/tcp")]);
    assert.match((await digShortCanonical(zone, "SRV", fqdn(good)))[0] ?? "", /^1 7 /);
    assert.deepEqual(await announced(bad), []);
    const mine = log.lines.filter((l) => l.container === id.slice(0, 12) && l.action === "skip");
    assert.deepEqual(mine.map((l) => l.key).sort(), [
      "SERVICE_8082_NAME",
      "SERVICE_8083_NAME",
      "SERVICE_8084_NAME",
    ]);
    assert.ok(mine.find((l) => l.key === "SERVICE_8083_NAME" && /not published/.test(String(l.msg))));
    await agent.agent.resync();
    assert.equal(
      log.lines.filter((l) => l.container === id.slice(0, 12) && l.action === "skip").length,
      3,
      "logged once",
    );
    assert.ok(!JSON.stringify(log.lines).includes("hunter2"), "the environment must never be logged");
  });

  it("names container, service and action in its JSON log lines", () => {
    // This suite's own containers (services _t<n>x...): the engine may run other containers too.
    const reg = log.lines.find((l) => l.action === "register" && /^_t\d+x/.test(String(l.service)));
    assert.ok(reg, "a register line for one of this suite's containers");
    assert.match(String(reg.container), /^[0-9a-f]{12}$/);
    assert.match(String(reg.service), /^_t\d+x/);
    assert.ok(
      log.lines.some(
        (l) =>
          l.action === "deregister" &&
          /^[0-9a-f]{12}$/.test(String(l.container)) &&
          /^_t\d+x/.test(String(l.service)),
      ),
    );
  });

  it("serves Prometheus metrics", async () => {
    const body = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
    assert.match(body, /ecssd_agent_changes_applied_total\{action="CREATE"\} [1-9]/);
    assert.match(body, /ecssd_agent_api_calls_total\{action="ChangeResourceRecordSets"\} [1-9]/);
    assert.match(body, /ecssd_agent_desired_records [1-9]/);
    assert.match(body, /ecssd_agent_applied_records [1-9]/);
    assert.match(body, /ecssd_agent_throttles_total 0/);
  });
});

describe("agent edge cases with Docker and the local zone", function () {
  this.timeout(60_000);
  const docker = new DockerCli();
  let image: string;
  let zone: LocalZone;
  let client: Route53Client;
  const agents: HostAgent[] = [];

  before(async function () {
    this.timeout(300_000);
    image = await baseImage();
  });
  beforeEach(async () => {
    zone = await startLocalZone();
    client = route53For(zone);
  });
  afterEach(async function () {
    this.timeout(60_000);
    for (const a of agents.splice(0)) await a.stop(2000);
    await docker.removeOurs();
    await zone.close();
  });

  it("takes a container removed before it could be inspected in its stride", async () => {
    const log = memoryLog();
    const removed = new Set<string>();
    // The real engine, but a container of this run labelled "doomed" is removed right before the agent's
    // first look at it (only ever our own containers: the label says so).
    class RemovingSource extends DockerSource {
      override async inspect(id: string) {
        const desc = await super.inspect(id);
        const labels = desc?.Config?.Labels ?? {};
        if (
          labels["ecssd.test.run"] === RUN_ID &&
          labels["ecssd.test.doomed"] === "yes" &&
          !removed.has(id)
        ) {
          removed.add(id);
          await docker.exec(["rm", "-f", id]);
        }
        return super.inspect(id);
      }
    }
    const hostId = `gone-${RUN_ID}`;
    const a = await startAgent(zone, hostId, { log: log.logger, source: new RemovingSource() });
    agents.push(a);
    const s = `_gone${RUN_ID}._tcp`;
    const opts = ["-e", `SERVICE_8081_NAME=${s}`, "-p", "127.0.0.1::8081"];
    const doomed = await docker.runContainer(image, ["-l", "ecssd.test.doomed=yes", ...opts], SERVE_FOREVER);
    await eventually(async () => removed.has(doomed), 10_000, "removal before inspection");
    await a.loop.whenConverged();
    assert.deepEqual(
      (await zoneRecords(zone, client)).filter((r) => r.includes(`${s}.`)),
      [],
    );
    assert.ok(
      !log.lines.some((l) => Number(l.level) >= 50 || /inspect failed/.test(String(l.msg))),
      "no error logged",
    );
    // Still alive and working: the next container registers.
    const kept = await docker.runContainer(image, opts, SERVE_FOREVER);
    const port = await docker.hostPort(kept, "8081/tcp");
    await eventually(
      async () =>
        (await digShortCanonical(zone, "SRV", `${s}.${zone.zoneName}`)).join() ===
        `1 1 ${port} ${hostId}.${zone.zoneName}`,
      10_000,
      "the next container registered",
    );
  });

  it("restarts without duplicates and removes its own stale records; `remove` empties the host", async () => {
    const log = memoryLog();
    const hostId = `rs-${RUN_ID}`;
    const s = `_rs${RUN_ID}._tcp`;
    const ids = [] as string[];
    for (let i = 0; i < 3; i++) {
      ids.push(
        await docker.runContainer(
          image,
          ["-e", `SERVICE_8081_NAME=${s}`, "-p", "127.0.0.1::8081"],
          SERVE_FOREVER,
        ),
      );
    }
    let a = await startAgent(zone, hostId, { log: log.logger });
    await a.loop.whenConverged();
    const before = await zoneRecords(zone, client);
    assert.equal(before.filter((r) => r.includes(`${s}.`)).length, 3);
    await a.stop();
    // While the agent is down, one container goes away and another host writes its own records.
    await docker.exec(["rm", "-f", ids[0] as string]);
    const other = await startAgent(zone, `other-${RUN_ID}`, { log: memoryLog().logger });
    await other.loop.whenConverged();
    await other.stop();
    const creates = zone.stats().ChangeResourceRecordSets ?? 0;
    a = await startAgent(zone, hostId, { log: log.logger });
    agents.push(a);
    await a.loop.whenConverged();
    const after = await zoneRecords(zone, client);
    const ours = after.filter((r) => r.includes(`|ecssd1:${hostId}`));
    assert.equal(ours.filter((r) => r.includes(`${s}.`)).length, 2);
    assert.ok(!ours.some((r) => r.includes((ids[0] as string).slice(0, 24))), "stale record removed");
    assert.equal(zone.stats().ChangeResourceRecordSets, creates + 1, "one batch: the stale delete only");
    assert.ok(
      after.some((r) => r.includes(`|ecssd1:other-${RUN_ID}`)),
      "other host's records untouched",
    );

    await a.stop();
    agents.pop();
    const removed = await removeHostRecords(agentConfig(zone, hostId), {
      log: log.logger,
      route53: route53For(zone),
    });
    assert.deepEqual(removed, { converged: true, removed: 3 });
    const left = await zoneRecords(zone, client);
    assert.ok(!left.some((r) => r.includes(`|ecssd1:${hostId}`)));
    assert.ok(left.some((r) => r.includes(`|ecssd1:other-${RUN_ID}`)));
  });

  it("counts a delete of a record that is already gone as done", async () => {
    const log = memoryLog();
    const hostId = `del-${RUN_ID}`;
    const s = `_del${RUN_ID}._tcp`;
    const a = await startAgent(zone, hostId, { log: log.logger });
    agents.push(a);
    const id = await docker.runContainer(
      image,
      ["-e", `SERVICE_8081_NAME=${s}`, "-p", "127.0.0.1::8081"],
      SERVE_FOREVER,
    );
    await eventually(
      async () => (await digShortCanonical(zone, "SRV", `${s}.${zone.zoneName}`)).length === 1,
      10_000,
      "registered",
    );
    // Someone (the reconciler, say) removes the record behind the agent's back.
    await deleteBehindAgentsBack(zone, client, s);
    await docker.exec(["rm", "-f", id]);
    await eventually(
      async () => a.loop.pendingChanges().length === 0 && log.lines.some((l) => l.action === "rebuild"),
      10_000,
      "delete settled",
    );
    assert.deepEqual(
      (await zoneRecords(zone, client)).filter((r) => r.includes(`${s}.`)),
      [],
    );
    assert.equal(a.loop.appliedCount, 1, "only the host record remains applied");
  });

  it("writes back a record deleted behind its back when it re-reads the zone", async () => {
    const log = memoryLog();
    const hostId = `back-${RUN_ID}`;
    const s = `_back${RUN_ID}._tcp`;
    const a = await startAgent(zone, hostId, { log: log.logger });
    agents.push(a);
    const id = await docker.runContainer(
      image,
      ["-e", `SERVICE_8081_NAME=${s}`, "-p", "127.0.0.1::8081"],
      SERVE_FOREVER,
    );
    const want = `1 1 ${await docker.hostPort(id, "8081/tcp")} ${hostId}.${zone.zoneName}`;
    await eventually(
      async () => (await digShortCanonical(zone, "SRV", `${s}.${zone.zoneName}`)).join() === want,
      10_000,
      "registered",
    );
    await deleteBehindAgentsBack(zone, client, s);
    assert.deepEqual(await digShortCanonical(zone, "SRV", `${s}.${zone.zoneName}`), []);
    a.loop.requestZoneRefresh(); // what the resync ticker does every tenth tick
    await eventually(
      async () => (await digShortCanonical(zone, "SRV", `${s}.${zone.zoneName}`)).join() === want,
      10_000,
      "written back",
    );
  });

  it("isolates a change the zone rejects on its own and keeps registering the rest", async () => {
    const log = memoryLog();
    const hostId = `rej-${RUN_ID}`;
    const [clash, fine] = [`_clash${RUN_ID}._tcp`, `_fine${RUN_ID}._tcp`];
    // A plain (simple routing) SRV record someone else owns: Route53 refuses multivalue sets beside it.
    await client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.hostedZoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: "CREATE",
              ResourceRecordSet: {
                Name: `${clash}.${zone.zoneName}`,
                Type: "SRV",
                TTL: 60,
                ResourceRecords: [{ Value: "1 1 80 elsewhere.example" }],
              },
            },
          ],
        },
      }),
    );
    const a = await startAgent(zone, hostId, { log: log.logger });
    agents.push(a);
    const opts = [
      "-e",
      `SERVICE_8081_NAME=${clash}`,
      "-e",
      `SERVICE_9090_NAME=${fine}`,
      "-p",
      "127.0.0.1::8081",
      "-p",
      "127.0.0.1::9090",
    ];
    const id = await docker.runContainer(image, opts, SERVE_FOREVER);
    const port = await docker.hostPort(id, "9090/tcp");
    await eventually(
      async () =>
        (await digShortCanonical(zone, "SRV", `${fine}.${zone.zoneName}`)).join() ===
        `1 1 ${port} ${hostId}.${zone.zoneName}`,
      20_000,
      "the fine service registered",
    );
    await eventually(async () => a.loop.pendingChanges().length === 0, 20_000, "nothing left to retry");
    assert.deepEqual(await digShortCanonical(zone, "SRV", `${clash}.${zone.zoneName}`), [
      "1 1 80 elsewhere.example",
    ]);
    assert.ok(log.lines.some((l) => l.level === 50 && /rejects this change/.test(String(l.msg))));
  });

  it("converges through throttling, PriorRequestNotComplete and 5xx", async () => {
    const log = memoryLog();
    const hostId = `flt-${RUN_ID}`;
    const s = `_flt${RUN_ID}._tcp`;
    zone.setFaults({ throttleRps: 2, serverErrorRate: 0.3, priorRequestNotCompleteRate: 0.3 });
    const a = await startAgent(zone, hostId, { log: log.logger });
    agents.push(a);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(
        await docker.runContainer(
          image,
          ["-e", `SERVICE_8081_NAME=${s}`, "-p", "127.0.0.1::8081"],
          SERVE_FOREVER,
        ),
      );
    }
    await docker.exec(["rm", "-f", ids[1] as string]);
    await a.loop.whenConverged();
    await eventually(async () => a.loop.pendingChanges().length === 0, 20_000, "converged");
    zone.setFaults({});
    const ports = await Promise.all(
      [ids[0], ids[2], ids[3]].map((id) => docker.hostPort(id as string, "8081/tcp")),
    );
    assert.deepEqual(
      await srvPorts(zone, s),
      ports.sort((a, b) => a - b),
    );
    // A write's or a read's: they share one warning a minute, so the first fault met may have been either.
    assert.ok(
      log.lines.some((l) => /zone (write|read) failed; retrying/.test(String(l.msg))),
      "faults were met and retried",
    );
  });
});
