// Benchmark of fetch through @ecssd/resolver's dispatcher, against HTTP servers in child processes registered in
// the local zone. 1. Throughput and latency, in one run and interleaved: undici's fetch through the dispatcher
// (URL names the service) against undici's fetch through a plain Agent with an instance's address in the URL.
// With same-AZ-first selection, outlier detection and the OpenTelemetry bridge (no SDK) on.
// 2. A rolling restart of three instances under a bounded load loop whose caller has no retry code: failed
// requests are counted. Last line: one JSON object with every figure.
import { type ChildProcess, spawn } from "node:child_process";
import { createDispatcher, createResolver, enableOpenTelemetry } from "@ecssd/resolver";
import { Agent, fetch } from "undici";
import { startLocalZone } from "../local/zone";
import { route53Client } from "../route53";
import { changeZone } from "../test/kit/zoneSeeding";
import { floorRankPercentile, median } from "./support/rankStats";

const CONCURRENCY = 16;
// Many short rounds, alternating which path goes first, and the median of each: on a shared two-core machine one
// round of either path varies by ±15%, more than the difference measured.
const REQUESTS_PER_ROUND = 4_000;
const ROUNDS = 9;
/** Requests per path before timing: the first few thousand through fetch run before the JIT has settled. */
const WARM_REQUESTS = 6_000;
const RESTART_LOAD_LOOPS = 4;
/** The AZ of the caller and of every instance. */
const AZ_ID = "use1-az1";
/** The AZ of one more instance, which same-AZ-first selection keeps the caller away from. */
const FAR_AZ_ID = "use1-az2";

/** One instance: a plain HTTP server in its own process that drains on SIGTERM. */
const INSTANCE = `
const http = require("node:http");
const server = http.createServer((req, res) => { res.setHeader("content-type", "text/plain"); res.end("ok " + process.pid); });
server.keepAliveTimeout = 5000;
server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));
process.on("SIGTERM", () => { server.close(() => process.exit(0)); server.closeIdleConnections(); });
`;

interface Instance {
  child: ChildProcess;
  port: number;
}

function startInstance(): Promise<Instance> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", INSTANCE], { stdio: ["ignore", "pipe", "inherit"] });
    child.once("error", reject);
    child.stdout?.once("data", (d: Buffer) => resolve({ child, port: Number(d.toString().trim()) }));
  });
}

function stopInstance(i: Instance): Promise<void> {
  return new Promise((resolve) => {
    if (i.child.exitCode !== null) return resolve();
    i.child.once("exit", () => resolve());
    i.child.kill("SIGTERM");
  });
}

/** `count` GETs by `CONCURRENCY` loops; each loop's URL comes from `url(i)`. */
async function load(
  count: number,
  url: (i: number) => string,
  dispatcher: Agent | ReturnType<typeof createDispatcher>,
  /** Told each answer's body (`ok <pid>`): which instance answered. */
  onBody?: (body: string) => void,
) {
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = process.hrtime.bigint();
        try {
          const res = await fetch(url(i), { dispatcher });
          const body = await res.text();
          onBody?.(body);
          if (res.status !== 200) failed++;
        } catch {
          failed++;
        }
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  // This process's CPU per request (client, plus the in-process zone's rare refresh answers): steadier than req/s.
  const cpuUsPerRequest = (cpu.user + cpu.system) / count;
  latencies.sort((a, b) => a - b);
  return {
    rps: count / seconds,
    p50: floorRankPercentile(latencies, 50),
    p99: floorRankPercentile(latencies, 99),
    cpuUsPerRequest,
    failed,
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export async function main(): Promise<void> {
  const zone = await startLocalZone({ soaMinimumTtl: 1 });
  const route53 = route53Client({ endpoint: zone.apiUrl });
  const service = `_bench._tcp.${zone.zoneName}`;
  const change = async (action: "UPSERT" | "DELETE", i: Instance, host = "h") => {
    await changeZone(route53, zone.hostedZoneId, [
      {
        Action: action,
        ResourceRecordSet: {
          Name: service,
          Type: "SRV",
          TTL: 1,
          SetIdentifier: `i-${i.port}`,
          MultiValueAnswer: true,
          ResourceRecords: [{ Value: `1 1 ${i.port} ${host}.${zone.zoneName}` }],
        },
      },
    ]);
  };
  /** A host's A and AZ records, as the agent writes them. */
  const host = (name: string, azId: string): Parameters<typeof changeZone>[2] => [
    {
      Action: "UPSERT",
      ResourceRecordSet: {
        Name: `${name}.${zone.zoneName}`,
        Type: "A",
        TTL: 60,
        ResourceRecords: [{ Value: "127.0.0.1" }],
      },
    },
    {
      Action: "UPSERT",
      ResourceRecordSet: {
        Name: `${name}.${zone.zoneName}`,
        Type: "TXT",
        TTL: 60,
        ResourceRecords: [{ Value: `"az-id=${azId}"` }],
      },
    },
  ];
  // The three instances measured run on `h`, in the caller's AZ; a fourth runs on `far`, in another AZ. So every
  // pick runs same-AZ-first selection (four endpoints in two AZs: the rule is on) and keeps to the caller's AZ,
  // whose three instances are the three the fixed-address path rotates over.
  await changeZone(route53, zone.hostedZoneId, [...host("h", AZ_ID), ...host("far", FAR_AZ_ID)]);
  const far = await startInstance();
  await change("UPSERT", far, "far");
  let instances: Instance[] = await Promise.all([startInstance(), startInstance(), startInstance()]);
  for (const i of instances) await change("UPSERT", i);

  // Everything on, as a user gets it: same AZ first (its AZ given), outlier detection (on by default), and the
  // OpenTelemetry bridge enabled with no SDK registered (the no-op MeterProvider: it must cost nothing).
  enableOpenTelemetry();
  const resolver = createResolver({
    servers: [`${zone.dns.host}:${zone.dns.port}`],
    domain: zone.zoneName,
    zoneAware: { azId: AZ_ID },
  });
  await resolver.whenAvailabilityZoneKnown();
  const dispatcher = createDispatcher(resolver);
  const plain = new Agent({ connections: 32 });
  const ports = instances.map((i) => i.port);

  // Warm both paths (connections, JIT, the resolver's cache), then interleave rounds.
  const farBody = `ok ${far.child.pid}`;
  let toFar = 0;
  const countFar = (body: string) => {
    if (body === farBody) toFar++;
  };
  const throughDispatcher = () => load(REQUESTS_PER_ROUND, () => `http://${service}/`, dispatcher, countFar);
  const toAddress = () => load(REQUESTS_PER_ROUND, (n) => `http://127.0.0.1:${ports[n % 3]}/`, plain);
  await load(WARM_REQUESTS, () => `http://${service}/`, dispatcher);
  await load(WARM_REQUESTS, (n) => `http://127.0.0.1:${ports[n % 3]}/`, plain);
  const viaDispatcher: Awaited<ReturnType<typeof load>>[] = [];
  const viaAddress: Awaited<ReturnType<typeof load>>[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      viaDispatcher.push(await throughDispatcher());
      viaAddress.push(await toAddress());
    } else {
      viaAddress.push(await toAddress());
      viaDispatcher.push(await throughDispatcher());
    }
  }
  const summarize = (rounds: typeof viaDispatcher) => ({
    rps: Math.round(median(rounds.map((x) => x.rps))),
    p50Ms: round2(median(rounds.map((x) => x.p50))),
    p99Ms: round2(median(rounds.map((x) => x.p99))),
    cpuUsPerRequest: Math.round(median(rounds.map((x) => x.cpuUsPerRequest))),
    failed: rounds.reduce((s, x) => s + x.failed, 0),
  });
  const d = summarize(viaDispatcher);
  const a = summarize(viaAddress);
  console.log(
    `fetch via dispatcher : ${d.rps} req/s, p50 ${d.p50Ms} ms, p99 ${d.p99Ms} ms, ${d.cpuUsPerRequest} µs CPU/request (${CONCURRENCY} concurrent, median of ${ROUNDS} rounds)`,
  );
  console.log(
    `fetch to an address  : ${a.rps} req/s, p50 ${a.p50Ms} ms, p99 ${a.p99Ms} ms, ${a.cpuUsPerRequest} µs CPU/request`,
  );
  // Each ratio is the median over rounds of the two paths' figures in that round (back to back, so under the
  // same conditions): the machine's drift between rounds cancels out of it.
  const perRound = (f: (x: (typeof viaDispatcher)[number]) => number) =>
    round2(median(viaDispatcher.map((x, r) => f(x) / f(viaAddress[r] as (typeof viaAddress)[number]))));
  const throughputRatio = perRound((x) => x.rps);
  const p99Ratio = perRound((x) => x.p99);
  const cpuRatio = perRound((x) => x.cpuUsPerRequest);
  console.log(
    `ratio (median of rounds): throughput ${throughputRatio}x (target >= 0.95), p99 ${p99Ratio}x (target <= 1.1), CPU/request ${cpuRatio}x`,
  );
  console.log(
    `same AZ first        : ${toFar} of ${ROUNDS * REQUESTS_PER_ROUND} measured requests went to the instance in the other AZ (expected 0)`,
  );

  // Rolling restart: each instance leaves DNS (as the agent does at the first sign of a stop), drains after the
  // TTL, stops; its replacement starts and registers. The caller just calls fetch.
  let stop = false;
  let requests = 0;
  let failures = 0;
  const loops = Array.from({ length: RESTART_LOAD_LOOPS }, async () => {
    while (!stop) {
      requests++;
      try {
        const res = await fetch(`http://${service}/`, { dispatcher });
        await res.text();
        if (res.status !== 200) failures++;
      } catch {
        failures++;
      }
    }
  });
  const restarted: Instance[] = [];
  for (const old of instances) {
    await change("DELETE", old);
    await new Promise((r) => setTimeout(r, 1_200)); // past the 1 s TTL
    await stopInstance(old);
    const fresh = await startInstance();
    await change("UPSERT", fresh);
    restarted.push(fresh);
    await new Promise((r) => setTimeout(r, 500));
  }
  stop = true;
  await Promise.all(loops);
  instances = restarted;
  console.log(`rolling restart      : ${requests} requests during 3 instance restarts, ${failures} failed`);

  await Promise.all([dispatcher.close(), plain.close()]);
  resolver.close();
  await Promise.all([...instances, far].map(stopInstance));
  route53.destroy();
  await zone.close();
  console.log(
    JSON.stringify({
      bench: "fetch",
      concurrency: CONCURRENCY,
      requestsPerRound: REQUESTS_PER_ROUND,
      rounds: ROUNDS,
      viaDispatcher: d,
      viaAddress: a,
      throughputRatio,
      requestsToOtherAz: toFar,
      p99Ratio,
      cpuRatio,
      rollingRestart: { requests, failed: failures },
    }),
  );
}
