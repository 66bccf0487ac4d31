// Chaos: a seeded random sequence of container starts, stops, kill -9s, removals, pauses, agent crashes and
// restarts, a Docker engine restart, injected Throttling/5xx and flapping health checks — and at the end
// the zone equals the truth exactly: every running and healthy container's records (with the agent's
// marker beside each checked port), nothing else of this host. Replay with CHAOS_SEED=<n>.
import assert from "node:assert/strict";
import type { Route53Client } from "@aws-sdk/client-route-53";
import type { HostAgent } from "../../agent/hostAgent";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { formatSrvValue, hostRecordName, instanceSetIdentifier } from "../../records";
import { zoneRecords } from "../kit/agentFixtures";
import { route53For } from "../kit/awsClients";
import { baseImage, HEALTH_SERVER, RUN_ID, setHealth } from "../kit/docker";
import { eventually } from "../kit/eventually";
import { seededRandom } from "../kit/seededRandom";
import { memoryLog, startAgent } from "./agentHarness";
import { type PrivateDockerd, startPrivateDockerd } from "./privateDockerd";

interface Started {
  id: string;
  services: { name: string; port: number }[];
  /** Serves /health on its ports, checked by the agent (the portless SERVICE_CHECK_* form). */
  checked: boolean;
}

/** True when the container's /health answers 200 now (what the agent's check should conclude). */
async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

describe("agent chaos", function () {
  this.timeout(240_000);
  const seed = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
  const STEPS = 80;
  const hostId = `chaos-${RUN_ID}`;
  let image: string;
  let dockerd: PrivateDockerd | undefined;
  let zone: LocalZone | undefined;
  let client: Route53Client;
  let agent: HostAgent | undefined;

  before(async function () {
    this.timeout(180_000);
    image = await baseImage();
    dockerd = await startPrivateDockerd(image);
    zone = await startLocalZone();
    client = route53For(zone);
  });

  after(async function () {
    this.timeout(120_000);
    await agent?.stop(2000).catch(() => {});
    await dockerd?.close().catch((err) => process.stderr.write(`private dockerd cleanup: ${err}\n`));
    await zone?.close();
  });

  it(`ends with the zone equal to the truth (seed ${seed}, ${STEPS} steps; replay with CHAOS_SEED=${seed})`, async () => {
    process.stdout.write(
      `      chaos seed ${seed} (replay: CHAOS_SEED=${seed} npx mocha test/agent/chaos.test.ts)\n`,
    );
    const z = zone as LocalZone;
    const d = dockerd as PrivateDockerd;
    const rand = seededRandom(seed);
    const pick = <T>(xs: T[]): T | undefined => xs[Math.floor(rand() * xs.length)];
    const log = memoryLog();
    const newAgent = () =>
      startAgent(z, hostId, { log: log.logger, docker: d.cli.dockerode() }, { ECSSD_RESYNC_SECONDS: "5" });
    agent = await newAgent();
    const started: Started[] = [];
    const counts: Record<string, number> = {};
    // Checked containers listen on these ports (host network): a range away from common services.
    let nextPort = 40000 + Math.floor(rand() * 10_000);
    const restartAt = 20 + Math.floor(rand() * 40);
    const deadline = Date.now() + 150_000;

    const ids = async (filter: string) =>
      (await d.cli.exec(["ps", "-q", "--no-trunc", "--filter", filter])).split("\n").filter(Boolean);

    for (let step = 0; step < STEPS && Date.now() < deadline; step++) {
      const r = rand();
      let action: string;
      const running = await ids("status=running");
      const paused = await ids("status=paused");
      if (step === restartAt) {
        action = "daemon-restart";
        await d.restart();
      } else if (r < 0.34 || running.length < 2) {
        action = "start";
        const services = Array.from({ length: rand() < 0.3 ? 2 : 1 }, () => ({
          name: pick(["_alpha._tcp", "_beta._tcp", "_gamma._udp"]) as string,
          port: nextPort++,
        }));
        const env = services.flatMap((s) => ["-e", `SERVICE_${s.port}_NAME=${s.name}`]);
        if (rand() < 0.1) env.push("-e", "SERVICE_1_NAME=broken");
        const policy = rand() < 0.3 ? ["--restart", "always"] : [];
        const checked = rand() < 0.4;
        if (checked) {
          const settings = [
            "SERVICE_CHECK_HTTP=/health",
            "SERVICE_CHECK_INTERVAL=200ms",
            "SERVICE_CHECK_TIMEOUT=500ms",
            "SERVICE_CHECK_UNHEALTHY_THRESHOLD=1",
            "SERVICE_CHECK_HEALTHY_THRESHOLD=1",
            `PORTS=${services.map((s) => s.port).join(",")}`,
          ];
          env.push(...settings.flatMap((e) => ["-e", e]));
        }
        const id = await d.cli.runContainer(
          image,
          ["--network", "host", ...policy, ...env],
          checked
            ? HEALTH_SERVER
            : ["node", "-e", "process.on('SIGTERM',()=>process.exit(0));setInterval(()=>{},1000)"],
        );
        started.push({ id, services, checked });
      } else if (r < 0.42) {
        action = "health-flip";
        const live = new Set(running);
        const c = pick(started.filter((x) => x.checked && live.has(x.id)));
        const port = c?.services[0]?.port;
        if (port !== undefined) await setHealth(port, rand() < 0.5 ? "fail" : "ok").catch(() => {});
      } else if (r < 0.46) {
        action = "stop";
        await d.cli.exec(["stop", "-t", "1", pick(running) as string]).catch(() => {});
      } else if (r < 0.58) {
        action = "kill-9";
        await d.cli.exec(["kill", "-s", "KILL", pick(running) as string]).catch(() => {});
      } else if (r < 0.66) {
        action = "remove";
        await d.cli.exec(["rm", "-f", pick(running) as string]).catch(() => {});
      } else if (r < 0.72) {
        action = "pause";
        await d.cli.exec(["pause", pick(running) as string]).catch(() => {});
      } else if (r < 0.77 && paused.length > 0) {
        action = "unpause";
        await d.cli.exec(["unpause", pick(paused) as string]).catch(() => {});
      } else if (r < 0.82) {
        action = "agent-crash-restart";
        // No flush: a crashed agent leaves whatever it had pending.
        const old = agent;
        agent = undefined;
        await old.agent.stop();
        await old.loop.stop();
        agent = await newAgent();
      } else if (r < 0.86) {
        action = "agent-sigterm-restart";
        await agent.stop(2000);
        agent = await newAgent();
      } else if (r < 0.93) {
        action = "faults-on";
        z.setFaults(
          pick([
            { throttleRps: 2 },
            { serverErrorRate: 0.3 },
            { priorRequestNotCompleteRate: 0.4 },
            { throttleRps: 3, serverErrorRate: 0.2, latencyMs: 30 },
          ]) as object,
        );
      } else {
        action = "faults-off";
        z.setFaults({});
      }
      counts[action] = (counts[action] ?? 0) + 1;
      if (rand() < 0.3) await new Promise((res) => setTimeout(res, Math.floor(rand() * 300)));
    }
    process.stdout.write(`      chaos actions: ${JSON.stringify(counts)}\n`);
    z.setFaults({});

    // The truth: what serves on the engine now (running, not paused) and what each container declared.
    const expected = async () => {
      const serving = new Set(await ids("status=running"));
      const want = [`${hostRecordName(hostId, z.zoneName)}|A|ecssd1:${hostId}|127.0.0.1`];
      for (const c of started) {
        if (!serving.has(c.id)) continue;
        // One process serves every port of a checked container: one answer says for all of them.
        const up = !c.checked || (await healthy(c.services[0]?.port ?? 0));
        for (const s of c.services) {
          const sid = instanceSetIdentifier({ hostId, containerId: c.id, containerPort: s.port });
          assert.ok("setIdentifier" in sid);
          if (c.checked)
            want.push(`${s.name}.${z.zoneName}|TXT|${sid.setIdentifier}|"ecssd1 check=agent kind=http"`);
          if (!up) continue;
          const value = formatSrvValue({
            priority: 1,
            weight: 1,
            port: s.port,
            target: hostRecordName(hostId, z.zoneName),
          });
          want.push(`${s.name}.${z.zoneName}|SRV|${sid.setIdentifier}|${value}`);
        }
      }
      return want.sort();
    };
    let last: { want: string[]; got: string[] } = { want: [], got: [] };
    try {
      await eventually(
        async () => {
          const [want, got] = [await expected(), await zoneRecords(z, client)];
          last = { want, got };
          return JSON.stringify(want) === JSON.stringify(got);
        },
        30_000,
        "the zone to equal the truth",
      );
    } catch (err) {
      const missing = last.want.filter((w) => !last.got.includes(w));
      const stale = last.got.filter((g) => !last.want.includes(g));
      throw new Error(
        `${(err as Error).message}\nseed ${seed}\nmissing: ${missing.join("\n  ")}\nstale: ${stale.join("\n  ")}`,
      );
    }
    assert.ok(last.want.length > 1, "some containers should be serving at the end");
  });
});
