// `npm run bench -- agent`: how the agent uses Route53 and how fast a start shows in DNS.
//  1. 200 containers start at once: ChangeResourceRecordSets calls and time until the zone is complete
//     (and, for comparison, 30 real containers started concurrently on the machine's engine).
//  2. The same with the zone limited to 5 requests/s while other hosts ask for 8: records lost, calls.
//  3. Start → answer in DNS, p50/p99 over 50 sequential starts of real containers on the machine's engine.
//  4. Resident memory of an agent process with 500 registered containers.
// 1, 2 and 4 feed the agent's core through its Docker-shaped ContainerSource (descriptions as `docker
// inspect` returns them, start events as Docker sends them): this machine's engine starts about 3-4
// containers a second, so 200 real containers cannot start "at once", and 500 would take minutes.
// Everything else — the reconcile loop, the Route53 SDK client, the local zone — is the real thing.
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { ListHostedZonesCommand } from "@aws-sdk/client-route-53";
import Docker from "dockerode";
import pino from "pino";
import { agentEnvironment } from "../agent/config";
import type { ContainerDescription } from "../agent/containerSource";
import { type HostAgent, startHostAgent } from "../agent/hostAgent";
import { bundleService } from "../images/imageBuilder";
import { type LocalZone, startLocalZone } from "../local/zone";
import { agentConfig, zoneRecords } from "../test/kit/agentFixtures";
import { route53For } from "../test/kit/awsClients";
import { baseImage, DockerCli, RUN_ID } from "../test/kit/docker";
import { nearestRankPercentile } from "./support/rankStats";
import { SimulatedDocker } from "./support/simulatedDocker";
import { querySrv } from "./support/srvQuery";

const run = promisify(execFile);
const BURST = 200;
const LATENCY_SAMPLES = 50;
const REAL_BURST = 30;
const RSS_CONTAINERS = 500;
const quiet = pino({ level: "silent" });

/** A host that exists only as Docker-shaped data: descriptions to inspect, events to deliver. */
export class SimulatedHost extends SimulatedDocker {
  start(c: ContainerDescription): void {
    this.startContainer(c);
  }
  stop(id: string): void {
    this.stopContainer(id);
  }
}

/** What `docker inspect` says about an ECS task container publishing 8080 (env padded like a real service). */
export function simulatedContainer(i: number): ContainerDescription {
  const id = (BigInt(i + 1) * 0x9e3779b97f4a7c15n).toString(16).padStart(16, "0").repeat(4).slice(0, 64);
  return {
    Id: id,
    Name: `/ecs-app-${i}`,
    Config: {
      Env: [
        `SERVICE_8080_NAME=_svc${i % 10}._tcp`,
        ...Array.from({ length: 20 }, (_, k) => `APP_SETTING_${k}=${"x".repeat(40)}`),
      ],
      Labels: {
        "com.amazonaws.ecs.task-arn": `arn:aws:ecs:us-east-1:123456789012:task/main/${id.slice(0, 32)}`,
        "com.amazonaws.ecs.cluster": "main",
        "com.amazonaws.ecs.container-name": "app",
      },
    },
    State: { Running: true, Paused: false, Restarting: false },
    HostConfig: { NetworkMode: "bridge" },
    NetworkSettings: { Ports: { "8080/tcp": [{ HostIp: "0.0.0.0", HostPort: String(30000 + i) }] } },
  };
}

async function simulatedAgent(zone: LocalZone, hostId: string, source: SimulatedHost): Promise<HostAgent> {
  // The simulated containers carry ECS labels with no ECS agent behind them: believe the labels.
  const env = agentEnvironment({ flushMs: 75, resyncSeconds: 3600, ecsAgentUrl: "off" });
  return startHostAgent(agentConfig(zone, hostId, env), {
    log: quiet,
    route53: route53For(zone),
    source,
    // The benchmark's own output is on stdout: no CloudWatch lines there.
    emf: { enabled: false },
  });
}

async function burst(throttled: boolean) {
  const zone = await startLocalZone();
  try {
    const host = new SimulatedHost();
    const agent = await simulatedAgent(zone, `bench-${throttled ? "t" : "b"}`, host);
    await agent.loop.whenConverged();
    const before = {
      calls: agent.metrics.batchesApplied,
      attempts: zone.stats().ChangeResourceRecordSets ?? 0,
    };
    // Other hosts of the same account ask for 8 requests a second all along: more than the budget.
    let neighbours: NodeJS.Timeout | undefined;
    if (throttled) {
      zone.setFaults({ throttleRps: 5 });
      const client = route53For(zone);
      neighbours = setInterval(() => void client.send(new ListHostedZonesCommand({})).catch(() => {}), 125);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const t0 = performance.now();
    for (let i = 0; i < BURST; i++) host.start(simulatedContainer(i));
    await agent.agent.resync(); // the same burst also reaches the agent through a full list
    await agent.loop.whenConverged();
    const completeMs = performance.now() - t0;
    const startCalls = agent.metrics.batchesApplied - before.calls;
    const present = (await listPatiently(zone)).filter((r) => r.includes("|SRV|")).length;
    // Then all 200 stop at once.
    const t1 = performance.now();
    for (let i = 0; i < BURST; i++) host.stop(simulatedContainer(i).Id);
    await agent.loop.whenConverged();
    const stopMs = performance.now() - t1;
    const calls = agent.metrics.batchesApplied - before.calls;
    const attempts = (zone.stats().ChangeResourceRecordSets ?? 0) - before.attempts;
    clearInterval(neighbours);
    zone.setFaults({});
    // Lost: a started container missing while they ran, or a record left after they stopped.
    const left = (await listPatiently(zone)).filter((r) => r.includes("|SRV|"));
    await agent.stop();
    // The fewest possible: one request for the starts, one for the stops (each fits one batch).
    return {
      startCalls,
      calls,
      attempts,
      minimum: 2,
      completeMs,
      stopMs,
      lost: BURST - present,
      left: left.length,
    };
  } finally {
    await zone.close();
  }
}

/**
 * The same on the real engine, with as many containers as it starts in a few seconds: they are created
 * first, then started concurrently. The engine's own start rate spreads the events out, so the agent sees
 * a stream rather than a burst; the figure shows what that costs in requests.
 */
/** Creates (not starts) a host-network container of this run that offers `service` on `port` and idles. */
function createIdleContainer(
  docker: DockerCli,
  image: string,
  port: number,
  service: string,
): Promise<string> {
  return docker.exec([
    "create",
    "-l",
    "ecssd.test=agent",
    "-l",
    `ecssd.test.run=${RUN_ID}`,
    "--network",
    "host",
    "-e",
    `SERVICE_${port}_NAME=${service}`,
    image,
    "node",
    "-e",
    "process.on('SIGTERM',()=>process.exit(0));setInterval(()=>{},1e6)",
  ]);
}

async function realBurst(count: number) {
  const zone = await startLocalZone();
  const docker = new DockerCli();
  const image = await baseImage();
  const ids = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      createIdleContainer(docker, image, 21000 + i, `_burst${RUN_ID}._tcp`),
    ),
  );
  const agent = await startHostAgent(
    agentConfig(zone, `bench-real-${RUN_ID}`, agentEnvironment({ flushMs: 75 })),
    {
      log: quiet,
      route53: route53For(zone),
      emf: { enabled: false },
    },
  );
  try {
    const api = new Docker();
    const before = agent.metrics.batchesApplied;
    const t0 = performance.now();
    await Promise.all(ids.map((id) => api.getContainer(id).start()));
    const startsMs = performance.now() - t0;
    const name = `_burst${RUN_ID}._tcp.${zone.zoneName}`;
    // Every start event seen (other containers on the machine may add to the count, never subtract).
    for (let k = 0; k < 2000 && agent.loop.desiredCount < count + 1; k++)
      await new Promise((r) => setTimeout(r, 5));
    await agent.loop.whenConverged();
    const completeMs = performance.now() - t0;
    const present = (await zoneRecords(zone, route53For(zone))).filter((r) =>
      r.startsWith(`${name}|`),
    ).length;
    return { calls: agent.metrics.batchesApplied - before, startsMs, completeMs, lost: count - present };
  } finally {
    await agent.stop(2000);
    await docker.removeOurs();
    await zone.close();
  }
}

/** The zone's records, retried while the zone throttles (the benchmark's own reads are not measured). */
async function listPatiently(zone: LocalZone): Promise<string[]> {
  const client = route53For(zone);
  for (let i = 0; ; i++) {
    try {
      return await zoneRecords(zone, client);
    } catch (err) {
      if (i >= 50) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function latency() {
  const zone = await startLocalZone();
  const docker = new DockerCli();
  const api = new Docker();
  const image = await baseImage();
  const hostId = `bench-lat-${RUN_ID}`;
  const agent = await startHostAgent(agentConfig(zone, hostId, agentEnvironment({ flushMs: 75 })), {
    log: quiet,
    route53: route53For(zone),
    emf: { enabled: false },
  });
  const fromStart: number[] = [];
  const fromCall: number[] = [];
  try {
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const name = `_lat${i}x${RUN_ID}._tcp.${zone.zoneName}`;
      const port = 20000 + i;
      const id = await createIdleContainer(docker, image, port, `_lat${i}x${RUN_ID}._tcp`);
      const t0 = performance.now();
      await api.getContainer(id).start();
      const t1 = performance.now();
      for (let k = 0; k < 2000; k++) {
        if ((await querySrv(zone.dns.port, name)).includes(port)) break;
        await new Promise((r) => setTimeout(r, 2));
      }
      const t2 = performance.now();
      fromStart.push(t2 - t1);
      fromCall.push(t2 - t0);
      void docker.exec(["rm", "-f", id]).catch(() => {});
    }
  } finally {
    await agent.stop(2000);
    await docker.removeOurs();
    await zone.close();
  }
  fromStart.sort((a, b) => a - b);
  fromCall.sort((a, b) => a - b);
  return {
    p50: nearestRankPercentile(fromStart, 50),
    p99: nearestRankPercentile(fromStart, 99),
    p50Call: nearestRankPercentile(fromCall, 50),
    p99Call: nearestRankPercentile(fromCall, 99),
  };
}

/** Runs in a child process so its RSS is the agent's alone: 500 containers registered, then measured. */
async function rssChild(): Promise<void> {
  const zone = {
    apiUrl: process.env.BENCH_ZONE_API ?? "",
    zoneName: process.env.BENCH_ZONE_NAME ?? "",
  } as LocalZone;
  const host = new SimulatedHost();
  const count = Number(process.env.BENCH_CONTAINERS);
  for (let i = 0; i < count; i++) host.start(simulatedContainer(i));
  const agent = await simulatedAgent(zone, `bench-rss-${count}`, host);
  await agent.loop.whenConverged();
  await new Promise((r) => setTimeout(r, 1000));
  global.gc?.();
  const m = process.memoryUsage();
  process.stdout.write(
    `${JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, applied: agent.loop.appliedCount })}\n`,
  );
  await agent.stop(2000);
  process.exit(0);
}

async function rss(count: number) {
  const zone = await startLocalZone();
  try {
    const { stdout } = await run(process.execPath, ["--expose-gc", "-r", "tsx/cjs", __filename], {
      env: {
        ...process.env,
        BENCH_AGENT_CHILD: "rss",
        BENCH_CONTAINERS: String(count),
        BENCH_ZONE_API: zone.apiUrl,
        BENCH_ZONE_NAME: zone.zoneName,
      },
      cwd: path.join(__dirname, ".."),
      timeout: 60_000,
    });
    return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as {
      rss: number;
      heapUsed: number;
      applied: number;
    };
  } finally {
    await zone.close();
  }
}

/** RSS of the bundled agent (what the image runs) watching this machine's engine, once it has converged. */
async function bundledRss() {
  const bundleDir = await bundleService("agent");
  const zone = await startLocalZone();
  const child = spawn(process.execPath, [path.join(bundleDir, "main.js")], {
    env: {
      ...process.env,
      ...agentEnvironment({
        zoneName: zone.zoneName,
        route53Endpoint: zone.apiUrl,
        hostId: `bench-bundle-${RUN_ID}`,
        hostIp: "127.0.0.1",
      }),
    },
    stdio: ["ignore", "pipe", "ignore"],
  });
  try {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    for (let i = 0; i < 200 && !out.includes('"action":"watch"'); i++)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1000));
    const status = fs.readFileSync(`/proc/${child.pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    const containers = Number(/"containers":(\d+)/.exec(out)?.[1] ?? 0);
    return { rss: kb * 1024, containers };
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
    await zone.close();
  }
}

export async function main(): Promise<void> {
  const started = performance.now();
  const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;
  const b = await burst(false);
  console.log(
    `burst: ${BURST} containers started at once → ${b.startCalls} ChangeResourceRecordSets, zone complete in ${b.completeMs.toFixed(0)} ms; all stopped → ${b.calls - b.startCalls} more, empty in ${b.stopMs.toFixed(0)} ms (simulated engine)`,
  );
  const real = await realBurst(REAL_BURST);
  console.log(
    `real engine: ${REAL_BURST} containers started concurrently took the engine ${real.startsMs.toFixed(0)} ms → ${real.calls} ChangeResourceRecordSets (one per flush window while starts trickle in), complete in ${real.completeMs.toFixed(0)} ms, lost ${real.lost}`,
  );
  const t = await burst(true);
  console.log(
    `throttled (5 req/s, other hosts asking for 8 req/s): ${t.calls} accepted calls of ${t.attempts} attempts (minimum ${t.minimum}); complete in ${t.completeMs.toFixed(0)} ms; records lost: ${t.lost}, left after stop: ${t.left}`,
  );
  const l = await latency();
  console.log(
    `start → SRV answer in DNS over ${LATENCY_SAMPLES} real containers: p50 ${l.p50.toFixed(0)} ms, p99 ${l.p99.toFixed(0)} ms after Docker's start returned (p50 ${l.p50Call.toFixed(0)} ms, p99 ${l.p99Call.toFixed(0)} ms from the start call)`,
  );
  const bundled = await bundledRss();
  console.log(
    `bundled agent (the image's main.js) RSS: ${mb(bundled.rss)} MB watching this machine's engine (${bundled.containers} containers)`,
  );
  const r0 = await rss(0);
  const r = await rss(RSS_CONTAINERS);
  console.log(
    `agent RSS: ${mb(r.rss)} MB with ${RSS_CONTAINERS} registered containers (${r.applied} record sets; heap ${mb(r.heapUsed)} MB), ${mb(r0.rss)} MB with none (simulated engine, agent run from TypeScript through tsx)`,
  );
  console.log(
    JSON.stringify({
      bench: "agent",
      burst200: {
        calls: b.startCalls,
        recordsLost: b.lost,
        completeMs: Math.round(b.completeMs),
        stopCalls: b.calls - b.startCalls,
        stopMs: Math.round(b.stopMs),
        engine: "simulated",
      },
      realEngineBurst: {
        containers: REAL_BURST,
        calls: real.calls,
        engineStartMs: Math.round(real.startsMs),
        completeMs: Math.round(real.completeMs),
        recordsLost: real.lost,
      },
      throttled5rps: {
        acceptedCalls: t.calls,
        attempts: t.attempts,
        minimumCalls: t.minimum,
        recordsLost: t.lost,
        recordsLeftAfterStop: t.left,
        completeMs: Math.round(t.completeMs),
        engine: "simulated",
      },
      startToDnsMs: {
        p50: Math.round(l.p50),
        p99: Math.round(l.p99),
        p50FromStartCall: Math.round(l.p50Call),
        p99FromStartCall: Math.round(l.p99Call),
        samples: LATENCY_SAMPLES,
        engine: "real",
      },
      rssMb: {
        containers500: mb(r.rss),
        none: mb(r0.rss),
        engine: "simulated",
        bundledAgent: mb(bundled.rss),
      },
      seconds: Math.round((performance.now() - started) / 1000),
    }),
  );
}

if (process.env.BENCH_AGENT_CHILD === "rss" && require.main === module) void rssChild();
