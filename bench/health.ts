// `npm run bench -- health`: how fast the agent's declared checks move DNS, and what they cost.
//  1. 20 real containers (the project's base image running a small HTTP server, bridge network, published
//     ports), each its own service with SERVICE_8080_CHECK_HTTP=/health every 1 s (thresholds 3 down, 2
//     up). Their /health starts failing at a known moment: p50/p99 of "failure begins → gone from the
//     zone's DNS answer", then of "recovery → back", queried over UDP on the wire, against the floors
//     interval × threshold.
//  2. The agent's CPU with 200 checked ports at a 1 s interval, for a bounded window: 4 real containers in
//     host network mode, each serving 50 ports from one process (200 containers would take this machine's
//     engine about a minute to start and add nothing the agent sees: it checks ports, not processes).
// The agent runs as its own process (agent/main.ts through tsx) against the local zone and the machine's
// engine, so its CPU time is its own: read from /proc/<pid>/stat.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { agentEnvironment, SETTINGS } from "../agent/config";
import { type LocalZone, startLocalZone } from "../local/zone";
import { zoneRecords } from "../test/kit/agentFixtures";
import { route53For } from "../test/kit/awsClients";
import { baseImage, DockerCli, HEALTH_SERVER, RUN_ID, setHealth } from "../test/kit/docker";
import { eventually } from "../test/kit/eventually";
import { nearestRankPercentile } from "./support/rankStats";
import { querySrv } from "./support/srvQuery";

const INSTANCES = 20;
const INTERVAL_S = 1;
const UNHEALTHY = 3;
const HEALTHY = 2;
const CPU_CONTAINERS = 4;
const PORTS_PER_CONTAINER = 50;
const CPU_WINDOW_MS = 20_000;
const POLL_MS = 25;
// A port's place in DNS changes at most once per hold-down: each phase starts after it, so that the figures
// are the checks' own.
const HOLD_DOWN_MS = SETTINGS.dnsHoldDownSeconds.default * 1000;

/** Polls DNS until `done(answer)`; resolves with the ms since `since`. */
async function until(zone: LocalZone, name: string, since: number, done: (ports: number[]) => boolean) {
  const left = since + 30_000 - performance.now();
  await eventually(
    async () => done(await querySrv(zone.dns.port, name)),
    left,
    `${name} to change in DNS`,
    POLL_MS,
  );
  return performance.now() - since;
}

function startAgentProcess(zone: LocalZone, hostId: string): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ["-r", "tsx/cjs", path.join(__dirname, "..", "agent", "main.ts")], {
    cwd: path.join(__dirname, ".."),
    env: {
      ...process.env,
      ...agentEnvironment({
        zoneName: zone.zoneName,
        zoneId: zone.hostedZoneId,
        route53Endpoint: zone.apiUrl,
        hostId,
        hostIp: "127.0.0.1",
        flushMs: 75,
        // Part 2's containers each serve 50 ports, above the default cap per container.
        maxPortsPerContainer: PORTS_PER_CONTAINER,
      }),
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (d) => {
      out += d;
      if (out.includes('"action":"watch"')) resolve();
      if (out.length > 1_000_000) out = out.slice(-10_000);
    });
    child.once("exit", (code) => reject(new Error(`agent exited with ${code}`)));
  });
  return { child, ready };
}

/** User + system CPU seconds of a process so far. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of proc(5), in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function main(): Promise<void> {
  const docker = new DockerCli();
  const image = await baseImage();
  const zone = await startLocalZone();
  const hostId = `bench-health-${RUN_ID}`;
  const agent = startAgentProcess(zone, hostId);
  try {
    await agent.ready;
    const fqdn = (i: number) => `_hf${i}x${RUN_ID}._tcp.${zone.zoneName}`;
    const check = [
      "SERVICE_8080_CHECK_HTTP=/health",
      `SERVICE_8080_CHECK_INTERVAL=${INTERVAL_S}s`,
      `SERVICE_8080_CHECK_UNHEALTHY_THRESHOLD=${UNHEALTHY}`,
      `SERVICE_8080_CHECK_HEALTHY_THRESHOLD=${HEALTHY}`,
    ];
    const instances = await Promise.all(
      Array.from({ length: INSTANCES }, async (_, i) => {
        const id = await docker.runContainer(
          image,
          [
            ...["-e", `SERVICE_8080_NAME=_hf${i}x${RUN_ID}._tcp`, ...check.flatMap((c) => ["-e", c])],
            ...["-p", "127.0.0.1::8080"],
          ],
          HEALTH_SERVER,
        );
        return { id, port: await docker.hostPort(id, "8080"), name: fqdn(i) };
      }),
    );
    await Promise.all(
      instances.map((c) => until(zone, c.name, performance.now(), (p) => p.includes(c.port))),
    );

    await new Promise((res) => setTimeout(res, HOLD_DOWN_MS));
    const removal = await Promise.all(
      instances.map(async (c) => {
        const t0 = performance.now();
        await setHealth(c.port, "fail");
        return until(zone, c.name, t0, (p) => p.length === 0);
      }),
    );
    await new Promise((res) => setTimeout(res, HOLD_DOWN_MS));
    const recovery = await Promise.all(
      instances.map(async (c) => {
        const t0 = performance.now();
        await setHealth(c.port, "ok");
        return until(zone, c.name, t0, (p) => p.includes(c.port));
      }),
    );
    await docker.exec(["rm", "-f", ...instances.map((c) => c.id)], 120_000);

    const removalFloor = INTERVAL_S * UNHEALTHY * 1000;
    const recoveryFloor = INTERVAL_S * HEALTHY * 1000;
    const target = INTERVAL_S * 3 * 1000 + 1000;
    const rm = removal.sort((a, b) => a - b);
    const rc = recovery.sort((a, b) => a - b);
    const r = (x: number) => Math.round(x);
    console.log(
      `failure begins → gone from DNS (${INSTANCES} containers, ${INTERVAL_S} s interval, threshold ${UNHEALTHY}): p50 ${r(nearestRankPercentile(rm, 50))} ms, p99 ${r(nearestRankPercentile(rm, 99))} ms; reference floor interval × threshold ${removalFloor} ms (a failure that begins just before a check is seen one interval early), target p99 ≤ ${target} ms`,
    );
    console.log(
      `recovery → back in DNS (threshold ${HEALTHY}): p50 ${r(nearestRankPercentile(rc, 50))} ms, p99 ${r(nearestRankPercentile(rc, 99))} ms; reference floor ${recoveryFloor} ms`,
    );

    // 2. CPU with 200 checked ports at 1 s.
    // Below Linux's ephemeral range (32768–60999): a port there may be any outgoing connection's, and one
    // port the health server cannot bind keeps its instance out of DNS for the whole run.
    const base = 20_000 + Math.floor(Math.random() * 10_000);
    const containers = await Promise.all(
      Array.from({ length: CPU_CONTAINERS }, async (_, c) => {
        const ports = Array.from(
          { length: PORTS_PER_CONTAINER },
          (_, i) => base + c * PORTS_PER_CONTAINER + i,
        );
        const env = [
          ...ports.map((p) => `SERVICE_${p}_NAME=_hc${c}x${RUN_ID}._tcp`),
          "SERVICE_CHECK_HTTP=/health",
          `SERVICE_CHECK_INTERVAL=${INTERVAL_S}s`,
          `PORTS=${ports.join(",")}`,
        ];
        return docker.runContainer(
          image,
          ["--network", "host", ...env.flatMap((e) => ["-e", e])],
          HEALTH_SERVER,
        );
      }),
    );
    const checked = CPU_CONTAINERS * PORTS_PER_CONTAINER;
    const deadline = performance.now() + 60_000;
    const client = route53For(zone);
    for (;;) {
      // A multivalue answer holds at most 8 of them (and 8 overflow a UDP answer here): count in the API.
      const srv = (await zoneRecords(zone, client)).filter((r) => /^_hc\d+x/.test(r) && r.includes("|SRV|"));
      if (srv.length === checked) break;
      if (performance.now() > deadline)
        throw new Error("the 200 checked ports did not enter DNS within 60 s");
      await new Promise((res) => setTimeout(res, 200));
    }
    // Let every port's first passes settle, then measure a quiet window of steady checking.
    await new Promise((res) => setTimeout(res, 3_000));
    const pid = agent.child.pid as number;
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    await new Promise((res) => setTimeout(res, CPU_WINDOW_MS));
    const cpuShare = (cpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000);
    await docker.exec(["rm", "-f", ...containers], 120_000);
    client.destroy();
    const pct = Math.round(cpuShare * 1000) / 10;
    console.log(
      `agent CPU with ${checked} checked ports at ${INTERVAL_S} s (${checked} checks/s, ${CPU_CONTAINERS} host-network containers × ${PORTS_PER_CONTAINER} ports, ${CPU_WINDOW_MS / 1000} s window): ${pct}% of one core; target < 5%`,
    );
    console.log(
      JSON.stringify({
        bench: "health",
        instances: INSTANCES,
        intervalMs: INTERVAL_S * 1000,
        removalMs: {
          p50: r(nearestRankPercentile(rm, 50)),
          p99: r(nearestRankPercentile(rm, 99)),
          floor: removalFloor,
          target,
        },
        recoveryMs: {
          p50: r(nearestRankPercentile(rc, 50)),
          p99: r(nearestRankPercentile(rc, 99)),
          floor: recoveryFloor,
        },
        cpu: {
          checkedPorts: checked,
          checksPerSecond: checked / INTERVAL_S,
          percentOfOneCore: pct,
          target: 5,
        },
      }),
    );
  } finally {
    const exited = new Promise((res) => agent.child.once("exit", res));
    agent.child.kill("SIGTERM");
    await Promise.race([exited, new Promise((res) => setTimeout(res, 15_000))]);
    await docker.removeOurs();
    await zone.close();
  }
}
