// Finding 4 of issue 25, through the real agent, the machine's Docker engine and the local zone: one container
// declares hundreds of ports and flaps its check as fast as it may ask, another's hundreds of checks hang,
// and the rest of the host's containers must stay correct. The agent runs with its default bounds, except
// where a test raises the port cap on purpose.
import assert from "node:assert/strict";
import type { Route53Client } from "@aws-sdk/client-route-53";
import type { HostAgent } from "../../agent/hostAgent";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { zoneRecords } from "../kit/agentFixtures";
import { route53For } from "../kit/awsClients";
import { baseImage, DockerCli, HEALTH_SERVER, RUN_ID, setHealth } from "../kit/docker";
import { eventually } from "../kit/eventually";
import { type MemoryLog, memoryLog, SERVE_FOREVER, startAgent } from "./agentHarness";

const HOLD_DOWN_MS = 10_000;

describe("agent bounds: one container cannot spend what the host's containers share", function () {
  this.timeout(120_000);
  const docker = new DockerCli();
  let image: string;
  let zone: LocalZone;
  let client: Route53Client;
  let agent: HostAgent | undefined;
  let log: MemoryLog;
  // Below Linux's ephemeral range, so that the health server can bind every port it is given.
  let nextPort = 20_000 + Math.floor(Math.random() * 8_000);
  const ports = (n: number) => Array.from({ length: n }, () => nextPort++);

  before(async function () {
    this.timeout(300_000);
    image = await baseImage();
    zone = await startLocalZone();
    client = route53For(zone);
  });

  afterEach(async function () {
    this.timeout(60_000);
    await agent?.stop(2000).catch(() => {});
    agent = undefined;
    await docker.removeOurs();
  });

  after(async () => {
    client?.destroy();
    await zone?.close();
  });

  /** A container in host network mode offering `name(i)` on each port in `declared`, its health server on `served`. */
  async function runMany(
    name: (i: number) => string,
    declared: number[],
    served: number[],
    env: string[],
  ): Promise<string> {
    const vars = [
      ...declared.map((p, i) => `SERVICE_${p}_NAME=${name(i)}`),
      ...env,
      `PORTS=${served.join(",")}`,
    ];
    return docker.runContainer(
      image,
      ["--network", "host", ...vars.flatMap((e) => ["-e", e])],
      HEALTH_SERVER,
    );
  }

  /** A bridge-mode container offering `name` on 8080; checked when `check` is given. */
  async function runOne(name: string, check: string[] = []): Promise<{ id: string; port: number }> {
    const env = [`SERVICE_8080_NAME=${name}`, ...check];
    const id = await docker.runContainer(
      image,
      [...env.flatMap((e) => ["-e", e]), "-p", "127.0.0.1::8080"],
      check.length > 0 ? HEALTH_SERVER : SERVE_FOREVER,
    );
    return { id, port: await docker.hostPort(id, "8080") };
  }

  const sets = async (name: string, type: string) =>
    (await zoneRecords(zone, client)).filter((r) => r.startsWith(`${name}.${zone.zoneName}|${type}|`));
  const srvPorts = async (name: string) =>
    (await sets(name, "SRV")).map((r) => Number(r.split("|")[3]?.split(" ")[2])).sort((a, b) => a - b);

  it("caps a container's ports, holds its flapping checks down, and keeps its neighbours correct", async () => {
    log = memoryLog();
    agent = await startAgent(
      zone,
      `bounds-${RUN_ID}`,
      { log: log.logger },
      { ECSSD_METRICS_PORT: "0", ECSSD_RESYNC_SECONDS: "5" },
    );
    const noisy = `_noisy${RUN_ID}._tcp`;
    const declared = ports(400);
    const kept = declared.slice(0, 16);
    // It asks for a check every 100 ms that one probe flips either way.
    const noisyId = await runMany(() => noisy, declared, kept, [
      "SERVICE_CHECK_HTTP=/health",
      "SERVICE_CHECK_INTERVAL=100ms",
      "SERVICE_CHECK_TIMEOUT=500ms",
      "SERVICE_CHECK_UNHEALTHY_THRESHOLD=1",
      "SERVICE_CHECK_HEALTHY_THRESHOLD=1",
    ]);
    await eventually(
      async () => (await srvPorts(noisy)).length === 16,
      20_000,
      "the noisy container's first 16 ports",
    );
    assert.deepEqual(await srvPorts(noisy), kept, "the lowest container ports are the ones kept");

    // Flap it: its health flips every 150 ms, from outside, for the whole window.
    let flapping = true;
    const flapper = (async () => {
      for (let i = 0; flapping; i++) {
        await setHealth(kept[0] as number, i % 2 === 0 ? "fail" : "ok").catch(() => {});
        await new Promise((r) => setTimeout(r, 150));
      }
    })();

    // Neighbours arrive while it flaps: one unchecked, one checked, one checked that stops soon after.
    const plain = `_plain${RUN_ID}._tcp`;
    const checked = `_checked${RUN_ID}._tcp`;
    const stopping = `_stopping${RUN_ID}._tcp`;
    const check = ["SERVICE_8080_CHECK_HTTP=/health", "SERVICE_8080_CHECK_INTERVAL=1s"];
    const t0 = Date.now();
    const [u, c, s] = await Promise.all([runOne(plain), runOne(checked, check), runOne(stopping, check)]);
    await eventually(
      async () =>
        (await srvPorts(plain)).join() === String(u.port) &&
        (await srvPorts(checked)).join() === String(c.port) &&
        (await srvPorts(stopping)).join() === String(s.port),
      10_000,
      "the neighbours in DNS",
    );
    const entered = Date.now() - t0;
    // A stop is never held, even just after the port entered.
    const stopAt = Date.now();
    await docker.exec(["stop", "-t", "1", s.id]);
    await eventually(
      async () => (await srvPorts(stopping)).length === 0,
      5_000,
      "the stopped neighbour gone",
    );
    const left = Date.now() - stopAt;

    // The window: the zone never holds more than the cap of the noisy container's ports (SRV and TXT).
    const windowEnd = Date.now() + 20_000;
    let most = { srv: 0, txt: 0 };
    while (Date.now() < windowEnd) {
      most = {
        srv: Math.max(most.srv, (await sets(noisy, "SRV")).length),
        txt: Math.max(most.txt, (await sets(noisy, "TXT")).length),
      };
      assert.deepEqual(await srvPorts(plain), [u.port], "the unchecked neighbour stays");
      assert.deepEqual(await srvPorts(checked), [c.port], "the checked neighbour stays");
      await new Promise((r) => setTimeout(r, 500));
    }
    flapping = false;
    await flapper;
    assert.ok(most.srv <= 16 && most.txt <= 16, `at most 16 sets of each type: ${JSON.stringify(most)}`);

    // Each port of the noisy container changed its place in DNS at most once per hold-down.
    const changes = new Map<string, number[]>();
    for (const l of log.lines) {
      if (l.service !== noisy || l.action !== "check" || l.from === undefined) continue;
      const at = changes.get(l.check as string) ?? [];
      at.push(l.time as number);
      changes.set(l.check as string, at);
    }
    assert.equal(changes.size, 16, "all 16 kept ports were checked, none of the others");
    for (const [port, at] of changes) {
      for (let i = 1; i < at.length; i++) {
        const gap = (at[i] as number) - (at[i - 1] as number);
        assert.ok(gap >= HOLD_DOWN_MS - 50, `${port} changed ${gap} ms after its last change`);
      }
    }
    const total = [...changes.values()].reduce((n, at) => n + at.length, 0);
    // Without bounds: 400 ports, each a change per 100 ms probe, for half a minute.
    assert.ok(total <= 16 * 5, `${total} changes of the noisy ports' place in DNS`);

    // Said once, and counted.
    const capLines = log.lines.filter(
      (l) => l.problem === "too-many-ports" && noisyId.startsWith(l.container as string),
    );
    assert.equal(capLines.length, 1, "the cap is logged once per container");
    assert.match(capLines[0]?.msg as string, /declares 400 ports, more than the 16 .* other 384/);
    // (The machine's engine may run other containers too: only this one's lines count here.)
    const raised = log.lines
      .filter((l) => l.problem === "check-below-floor" && noisyId.startsWith(l.container as string))
      .map((l) => l.key);
    assert.deepEqual(raised.sort(), [
      "SERVICE_CHECK_HEALTHY_THRESHOLD",
      "SERVICE_CHECK_INTERVAL",
      "SERVICE_CHECK_UNHEALTHY_THRESHOLD",
    ]);
    const metrics = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
    assert.match(metrics, /ecssd_agent_declarations_skipped_total\{problem="too-many-ports"\} 384\b/);

    // Healthy again: the noisy container's kept ports come back within a hold-down, and nothing else of it.
    await setHealth(kept[0] as number, "ok");
    await eventually(
      async () => (await srvPorts(noisy)).join() === kept.join(),
      HOLD_DOWN_MS + 10_000,
      "the noisy container's ports back",
    );
    assert.equal((await sets(noisy, "TXT")).length, 16);
    process.stdout.write(
      `      neighbours in DNS ${entered} ms after their start; a stop left DNS in ${left} ms; noisy ports changed ${total} times\n`,
    );
    assert.ok(left < 3_000, `the stopped neighbour left DNS after ${left} ms`);
    await docker.exec(["rm", "-f", noisyId]);
  });

  it("starts a neighbour's first check within one timeout of a container whose hundreds of checks hang", async () => {
    log = memoryLog();
    // The cap raised on purpose: 320 checked ports of one container, each hanging for its whole timeout.
    agent = await startAgent(
      zone,
      `bounds-hang-${RUN_ID}`,
      { log: log.logger },
      { ECSSD_MAX_PORTS_PER_CONTAINER: "400" },
    );
    const TIMEOUT_MS = 2_000;
    // A name each: Route53 keeps at most 100 sets of one name and type.
    const hanging = (i: number) => `_hang${i}x${RUN_ID}._tcp`;
    const declared = ports(320);
    await runMany(hanging, declared, declared, [
      "SERVICE_CHECK_HTTP=/health",
      "SERVICE_CHECK_INTERVAL=1s",
      `SERVICE_CHECK_TIMEOUT=${TIMEOUT_MS}ms`,
      "MODE=hang",
    ]);
    await eventually(
      async () => log.lines.some((l) => l.action === "wait" && String(l.service).includes(hanging(0))),
      20_000,
      "the hanging container's checks under way",
    );
    // Its probes fill every slot now; 320 of them are five rounds of 64.
    await new Promise((r) => setTimeout(r, TIMEOUT_MS));
    const neighbour = `_neighbour${RUN_ID}._tcp`;
    const t0 = Date.now();
    const n = await runOne(neighbour, ["SERVICE_8080_CHECK_HTTP=/health", "SERVICE_8080_CHECK_INTERVAL=1s"]);
    const started = Date.now() - t0;
    await eventually(
      async () => (await srvPorts(neighbour)).join() === String(n.port),
      20_000,
      "the neighbour in DNS",
    );
    const took = Date.now() - t0;
    process.stdout.write(
      `      neighbour in DNS ${took} ms after its start call (the engine took ${started} ms)\n`,
    );
    // One timeout for a slot, the engine's own start, a flush and the zone's round trips.
    assert.ok(
      took < started + TIMEOUT_MS + 1_500,
      `the neighbour entered DNS ${took} ms after its start call`,
    );
    assert.deepEqual(await srvPorts(hanging(0)), [], "the hanging ports never entered");
  });
});
