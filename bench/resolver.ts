// Benchmark of @ecssd/resolver against a local DNS server in a child process, as a real server
// would be: the local zone (records created through its Route53 API), or with
// RESOLVER_BENCH_SERVER=test-responder the well-behaved responder of the tests. 1. cached pick() throughput;
// 2. uncached lookup latency, ours against Node's c-ares resolver on the same names, interleaved, in a child
// process of its own and in rounds (whole-run and median-of-rounds ratios);
// 3. heap growth with 100,000 distinct names through a 10,000-entry cache (in a child process
// with --expose-gc). Last line: one JSON object with every figure.
import { type ChildProcess, spawn } from "node:child_process";
import * as dgram from "node:dgram";
import { promises as dnsPromises } from "node:dns";
import * as path from "node:path";
import { createResolver } from "@ecssd/resolver";
import * as dnsPacket from "dns-packet";
import { startLocalZone } from "../local/zone";
import { route53Client } from "../route53";
import { AuthoritativeServer } from "../test/kit/authoritativeServer";
import { createSets } from "../test/kit/zoneSeeding";
import { floorRankPercentile, median } from "./support/rankStats";

const ZONE = "servicediscovery.internal";
const LATENCY_COUNT = 2000;
const HEAP_NAMES = 100_000;
const HEAP_BOUND = 10_000;
const WARM_COUNT = 2000;

/**
 * The benchmark's records: `_bench-<n>._tcp` and `_bench-w<n>._tcp` have three instances on two
 * hosts, `_bench-h<n>._tcp` (the heap test's 100,000 names) one; host addresses come in the
 * additional section.
 */
function synthesize(name: string, type: string) {
  if (type === "SRV" && /^_bench-h\d+\._tcp\./.test(name)) {
    return [
      {
        name,
        type: "SRV" as const,
        ttl: 30,
        data: { priority: 1, weight: 1, port: 8000, target: `host-0.${ZONE}` },
      },
    ];
  }
  if (type === "SRV" && /^_bench-w?\d+\._tcp\./.test(name)) {
    return [1, 2, 3].map((i) => ({
      name,
      type: "SRV" as const,
      ttl: 30,
      data: { priority: 1, weight: i, port: 8000 + i, target: `host-${i % 2}.${ZONE}` },
    }));
  }
  const host = /^host-(\d)\./.exec(name);
  if (type === "A" && host)
    return [{ name, type: "A" as const, ttl: 60, data: `10.0.0.${Number(host[1]) + 1}` }];
  return undefined;
}

const PICK_ROUNDS = 7;
const PICK_PER_ROUND = 1_000_000;

/**
 * Cached pick() throughput. The machine may be shared, so the loop runs in several rounds and
 * reports the best round (least disturbed by other processes) and the median round.
 */
async function cachedPick(server: string): Promise<Record<string, number>> {
  const resolver = createResolver({ servers: [server] });
  const name = "_bench-0._tcp";
  await resolver.pick(name);
  let sink = 0;
  const rounds = async (run: () => Promise<void> | void): Promise<{ best: number; median: number }> => {
    const opsPerSec: number[] = [];
    for (let r = 0; r < PICK_ROUNDS; r++) {
      const t0 = process.hrtime.bigint();
      await run();
      opsPerSec.push((PICK_PER_ROUND / Number(process.hrtime.bigint() - t0)) * 1e9);
    }
    opsPerSec.sort((a, b) => a - b);
    return { best: opsPerSec[opsPerSec.length - 1]!, median: opsPerSec[Math.floor(opsPerSec.length / 2)]! };
  };
  const awaited = await rounds(async () => {
    for (let i = 0; i < PICK_PER_ROUND; i++) sink += (await resolver.pick(name)).port;
  });
  const sync = await rounds(() => {
    for (let i = 0; i < PICK_PER_ROUND; i++) sink += resolver.pickCached(name)!.port;
  });
  // The anchor for the cached path: cacheable-lookup, the cache that got/undici users put in front of
  // dns.lookup, asked for a cached A record of the same server, the same way (awaited, one name).
  const { default: CacheableLookup } = await import("cacheable-lookup");
  const cacheable = new CacheableLookup();
  cacheable.servers = [server];
  const host = `host-0.${ZONE}`;
  await cacheable.lookupAsync(host, { family: 4 });
  const anchor = await rounds(async () => {
    for (let i = 0; i < PICK_PER_ROUND; i++)
      sink += (await cacheable.lookupAsync(host, { family: 4 })).family;
  });
  if (sink === 0) console.log("(unreachable)");
  const line = (label: string, r: { best: number; median: number }): void =>
    console.log(
      `${label}: ${Math.round(r.best).toLocaleString("en")} ops/s, ${(1e9 / r.best).toFixed(1)} ns/op ` +
        `(best of ${PICK_ROUNDS} rounds of ${PICK_PER_ROUND.toLocaleString("en")}; median round ${Math.round(r.median).toLocaleString("en")} ops/s)`,
    );
  line("1. cached `await pick()`", awaited);
  line("   cached pickCached() (sync)", sync);
  line("   anchor: cacheable-lookup, cached `await lookupAsync()`", anchor);
  console.log(`   ratio await pick() / cacheable-lookup: ${(awaited.best / anchor.best).toFixed(2)}x`);
  resolver.close();
  return {
    pickOpsPerSec: Math.round(awaited.best),
    pickNsPerOp: Number((1e9 / awaited.best).toFixed(1)),
    pickOpsPerSecMedianRound: Math.round(awaited.median),
    pickCachedOpsPerSec: Math.round(sync.best),
    pickCachedNsPerOp: Number((1e9 / sync.best).toFixed(1)),
    pickCachedOpsPerSecMedianRound: Math.round(sync.median),
    cacheableLookupOpsPerSec: Math.round(anchor.best),
    pickVsCacheableLookup: Number((awaited.best / anchor.best).toFixed(2)),
  };
}

const LATENCY_ROUNDS = 9;

interface LatencyRound {
  ours: number[];
  cares: number[];
  bare: number[];
}

/**
 * The floor both clients stand on: one connected UDP socket sending a query built beforehand and taking the
 * first datagram with its id, with no checks, no cache and no records read. What a client takes above this
 * is its own work; the rest is the server's and the kernel's. `ask` resolves with the time (ms) from the
 * send to the answer.
 */
async function bareSocket(
  port: number,
): Promise<{ ask: (name: string) => Promise<number>; close: () => void }> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.connect(port, "127.0.0.1", () => resolve()));
  let waiting: { id: number; done: () => void } | undefined;
  socket.on("message", (msg) => {
    if (waiting !== undefined && msg.readUInt16BE(0) === waiting.id) waiting.done();
  });
  let nextId = 1;
  const ask = (name: string): Promise<number> => {
    const query = dnsPacket.encode({
      type: "query",
      id: nextId,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: "SRV", name }],
    });
    return new Promise<number>((resolve) => {
      const t = process.hrtime.bigint();
      waiting = { id: nextId, done: () => resolve(Number(process.hrtime.bigint() - t) / 1e6) };
      nextId = (nextId % 65535) + 1;
      socket.send(query);
    });
  };
  return { ask, close: () => socket.close() };
}

/**
 * Runs in a child process of its own, so the earlier phases' garbage and heap growth do not fall on
 * these measurements: uncached lookups of distinct names, ours and c-ares's alternating on each name,
 * in several rounds of LATENCY_COUNT names. Writes every sample (ms) as JSON.
 *
 * The local zone builds a name's answer on its first query and keeps it. That is the server's work, paid by
 * whichever client asks first, so before each round the bare socket asks every name of the round once,
 * untimed: the clients then meet the server as a resolver's cache would meet it, and the floor is not
 * flattered by always asking a name last. One more round, after the others, leaves its names cold and is
 * reported apart, to show what the server's first answer adds.
 */
async function latencyChild(server: string): Promise<void> {
  const port = Number(server.split(":")[1]);
  const ours = createResolver({ servers: [server] });
  const cares = new dnsPromises.Resolver({ timeout: 1000, tries: 2 });
  cares.setServers([`127.0.0.1:${port}`]);
  // Warm both (and the target addresses of ours, which the answers carry anyway).
  for (let i = 0; i < WARM_COUNT; i++) {
    await ours.resolve(`_bench-w${i}._tcp`).catch(() => undefined);
    await cares.resolveSrv(`_bench-w${i}._tcp.${ZONE}`).catch(() => undefined);
  }
  const bare = await bareSocket(port);
  const rounds: LatencyRound[] = [];
  for (let r = 0; r <= LATENCY_ROUNDS; r++) {
    const round: LatencyRound = { ours: [], cares: [], bare: [] };
    const nameOf = (i: number) => `_bench-${r * LATENCY_COUNT + i}._tcp.${ZONE}`;
    if (r < LATENCY_ROUNDS) for (let i = 1; i <= LATENCY_COUNT; i++) await bare.ask(nameOf(i));
    for (let i = 1; i <= LATENCY_COUNT; i++) {
      const name = nameOf(i);
      const runOurs = async () => {
        const t = process.hrtime.bigint();
        const endpoints = await ours.resolve(name);
        round.ours.push(Number(process.hrtime.bigint() - t) / 1e6);
        if (endpoints.length !== 3) throw new Error(`expected 3 endpoints for ${name}`);
      };
      const runCares = async () => {
        const t = process.hrtime.bigint();
        const records = await cares.resolveSrv(name);
        round.cares.push(Number(process.hrtime.bigint() - t) / 1e6);
        if (records.length !== 3) throw new Error(`expected 3 records for ${name}`);
      };
      // Alternate who goes first, so that neither always finds the server's and the kernel's caches warmer.
      if (i % 2) {
        await runOurs();
        await runCares();
      } else {
        await runCares();
        await runOurs();
      }
      round.bare.push(await bare.ask(name));
    }
    rounds.push(round);
  }
  bare.close();
  ours.close();
  process.stdout.write(JSON.stringify(rounds));
}

async function latency(server: string): Promise<Record<string, number>> {
  const child = spawnSelf(["--latency-child", server]);
  child.stdin!.end();
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  const code = await new Promise<number | null>((r) => child.on("close", r));
  if (code !== 0) throw new Error(`latency child exited with ${code}`);
  const rounds = JSON.parse(out) as LatencyRound[];
  const cold = rounds.pop()!;
  const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
  const all = {
    ours: sorted(rounds.flatMap((r) => r.ours)),
    cares: sorted(rounds.flatMap((r) => r.cares)),
    bare: sorted(rounds.flatMap((r) => r.bare)),
  };
  const r = {
    oursP50Ms: floorRankPercentile(all.ours, 50),
    oursP99Ms: floorRankPercentile(all.ours, 99),
    caresP50Ms: floorRankPercentile(all.cares, 50),
    caresP99Ms: floorRankPercentile(all.cares, 99),
    bareP50Ms: floorRankPercentile(all.bare, 50),
    bareP99Ms: floorRankPercentile(all.bare, 99),
  };
  const p50Ratio = r.oursP50Ms / r.caresP50Ms;
  const p99Ratio = r.oursP99Ms / r.caresP99Ms;
  // Each round's ratio compares the two clients over the same minutes; the median of the rounds is
  // not moved by one burst of load from elsewhere on the machine, which a whole-run p99 is.
  const perRound = rounds.map((round) => {
    const o = sorted(round.ours);
    const c = sorted(round.cares);
    return {
      p50: floorRankPercentile(o, 50) / floorRankPercentile(c, 50),
      p99: floorRankPercentile(o, 99) / floorRankPercentile(c, 99),
    };
  });
  const roundP50 = median(perRound.map((x) => x.p50));
  const roundP99 = median(perRound.map((x) => x.p99));
  const coldOurs = sorted(cold.ours);
  const coldCares = sorted(cold.cares);
  const coldP50Ratio = floorRankPercentile(coldOurs, 50) / floorRankPercentile(coldCares, 50);
  const coldP99Ratio = floorRankPercentile(coldOurs, 99) / floorRankPercentile(coldCares, 99);
  const f = (x: number) => `${(x * 1000).toFixed(0)} µs`;
  const count = LATENCY_ROUNDS * LATENCY_COUNT;
  console.log(
    `2. uncached lookup, ${count.toLocaleString("en")} distinct names each (${LATENCY_ROUNDS} rounds of ${LATENCY_COUNT.toLocaleString("en")}), interleaved:`,
  );
  console.log(`   ours   p50 ${f(r.oursP50Ms)}  p99 ${f(r.oursP99Ms)}`);
  console.log(`   c-ares p50 ${f(r.caresP50Ms)}  p99 ${f(r.caresP99Ms)}`);
  console.log(
    `   floor  p50 ${f(r.bareP50Ms)}  p99 ${f(r.bareP99Ms)}  (a bare socket, query built beforehand, no checks)`,
  );
  console.log(
    `   above the floor at p50: ours ${f(r.oursP50Ms - r.bareP50Ms)}, c-ares ${f(r.caresP50Ms - r.bareP50Ms)}`,
  );
  console.log(`   ratio ours/c-ares, whole run: p50 ${p50Ratio.toFixed(2)}, p99 ${p99Ratio.toFixed(2)}`);
  console.log(
    `   ratio ours/c-ares per round: p50 ${perRound.map((x) => x.p50.toFixed(2)).join(" ")}; ` +
      `p99 ${perRound.map((x) => x.p99.toFixed(2)).join(" ")}`,
  );
  console.log(
    `   ratio ours/c-ares, median of rounds: p50 ${roundP50.toFixed(2)}, p99 ${roundP99.toFixed(2)}`,
  );
  console.log(
    `   one more round with the server's answers cold (the first to ask pays for them): ` +
      `ours p50 ${f(floorRankPercentile(coldOurs, 50))}, c-ares p50 ${f(floorRankPercentile(coldCares, 50))}; ` +
      `ratio p50 ${coldP50Ratio.toFixed(2)}, p99 ${coldP99Ratio.toFixed(2)}`,
  );
  return {
    ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v.toFixed(4))])),
    p50Ratio: Number(p50Ratio.toFixed(3)),
    p99Ratio: Number(p99Ratio.toFixed(3)),
    oursAboveFloorP50Ms: Number((r.oursP50Ms - r.bareP50Ms).toFixed(4)),
    caresAboveFloorP50Ms: Number((r.caresP50Ms - r.bareP50Ms).toFixed(4)),
    p50RatioMedianRound: Number(roundP50.toFixed(3)),
    p99RatioMedianRound: Number(roundP99.toFixed(3)),
    coldServerP50Ratio: Number(coldP50Ratio.toFixed(3)),
    coldServerP99Ratio: Number(coldP99Ratio.toFixed(3)),
  };
}

/** Runs in the child: many distinct names through a bounded cache, measuring the heap. */
async function heapChild(server: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const resolver = createResolver({ servers: [server], maxCacheEntries: HEAP_BOUND });
  const settle = (): number => {
    gc?.();
    gc?.();
    return process.memoryUsage().heapUsed;
  };
  await resolver.resolve("_bench-0._tcp"); // load code paths and target addresses first
  const before = settle();
  let atBound = 0;
  const concurrency = 32;
  let next = 1;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next <= HEAP_NAMES) {
        const i = next++;
        await resolver.resolve(`_bench-h${i}._tcp`);
        if (i === HEAP_BOUND) atBound = settle();
      }
    }),
  );
  const after = settle();
  process.stdout.write(
    JSON.stringify({
      gc: gc !== undefined,
      heapBeforeMB: before / 2 ** 20,
      heapAtBoundMB: atBound / 2 ** 20,
      heapAfterMB: after / 2 ** 20,
      cacheEntries: resolver.cacheSize,
    }),
  );
}

function spawnSelf(args: string[], nodeFlags: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeFlags, "--require", "tsx/cjs", __filename, ...args], {
    cwd: path.join(__dirname, ".."),
    env: { ...process.env, TSX_TSCONFIG_PATH: path.join(__dirname, "..", "tsconfig.json") },
    stdio: ["pipe", "pipe", "inherit"],
  });
}

/** Starts the DNS server in a child process; resolves with its port and a stop function. */
async function startDnsChild(): Promise<{
  port: number;
  server: string;
  detail: string;
  stop: () => Promise<void>;
}> {
  const child = spawnSelf(["--dns-child"]);
  const { port, server, detail } = await new Promise<{ port: number; server: string; detail: string }>(
    (resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (d) => {
        out += d;
        const m = /port (\d+) server (\S+) (.*)\n/.exec(out);
        if (m) resolve({ port: Number(m[1]), server: m[2]!, detail: m[3]! });
      });
      child.on("exit", (code) => reject(new Error(`DNS server child exited with ${code}`)));
    },
  );
  return {
    port,
    server,
    detail,
    stop: () =>
      new Promise<void>((resolve) => {
        child.on("exit", () => resolve());
        child.stdin!.end();
      }),
  };
}

/** Creates the benchmark's records in the local zone through its Route53 API, as the agent would. */
async function populateLocalZone(apiUrl: string, hostedZoneId: string): Promise<number> {
  const route53 = route53Client({ endpoint: apiUrl, maxAttempts: 3 });
  type Set = { Name: string; Type: "SRV" | "A"; TTL: number; ResourceRecords: { Value: string }[] };
  const sets: Set[] = [0, 1].map((h) => ({
    Name: `host-${h}.${ZONE}`,
    Type: "A",
    TTL: 60,
    ResourceRecords: [{ Value: `10.0.0.${h + 1}` }],
  }));
  const three = (name: string): Set => ({
    Name: name,
    Type: "SRV",
    TTL: 30,
    ResourceRecords: [1, 2, 3].map((i) => ({ Value: `1 ${i} ${8000 + i} host-${i % 2}.${ZONE}` })),
  });
  for (let i = 0; i <= (LATENCY_ROUNDS + 1) * LATENCY_COUNT; i++)
    sets.push(three(`_bench-${i}._tcp.${ZONE}`));
  for (let i = 0; i < WARM_COUNT; i++) sets.push(three(`_bench-w${i}._tcp.${ZONE}`));
  for (let i = 1; i <= HEAP_NAMES; i++) {
    sets.push({
      Name: `_bench-h${i}._tcp.${ZONE}`,
      Type: "SRV",
      TTL: 30,
      ResourceRecords: [{ Value: `1 1 8000 host-0.${ZONE}` }],
    });
  }
  await createSets(route53, hostedZoneId, sets);
  route53.destroy();
  return sets.length;
}

/** Runs in the child: the DNS server, until its stdin closes. */
async function dnsChild(): Promise<void> {
  if (process.env.RESOLVER_BENCH_SERVER !== "test-responder") {
    const started = Date.now();
    const zone = await startLocalZone({ zoneName: ZONE });
    const sets = await populateLocalZone(zone.apiUrl, zone.hostedZoneId);
    // The zone builds its answers after a change on the first query: take that cost before timing.
    const warm = createResolver({ servers: [`${zone.dns.host}:${zone.dns.port}`], timeoutMs: 30_000 });
    await warm.resolve("_bench-0._tcp");
    warm.close();
    process.stdout.write(
      `port ${zone.dns.port} server local-zone (${sets.toLocaleString("en")} record sets created through its Route53 API in ${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
    );
    process.stdin.resume();
    process.stdin.on("end", () => void zone.close().then(() => process.exit(0)));
    return;
  }
  const dns = await AuthoritativeServer.start({ zone: ZONE, synthesize });
  process.stdout.write(`port ${dns.port} server test-responder (the tests' well-behaved responder)\n`);
  process.stdin.resume();
  process.stdin.on("end", () => void dns.close().then(() => process.exit(0)));
}

async function heap(server: string): Promise<Record<string, number | boolean>> {
  const child = spawnSelf(["--heap-child", server], ["--expose-gc"]);
  child.stdin!.end();
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  const code = await new Promise<number | null>((r) => child.on("close", r));
  if (code !== 0) throw new Error(`heap child exited with ${code}`);
  const r = JSON.parse(out) as {
    gc: boolean;
    heapBeforeMB: number;
    heapAtBoundMB: number;
    heapAfterMB: number;
    cacheEntries: number;
  };
  const growth = r.heapAfterMB - r.heapBeforeMB;
  const pastBound = r.heapAfterMB - r.heapAtBoundMB;
  console.log(
    `3. ${HEAP_NAMES.toLocaleString("en")} distinct names, cache bound ${HEAP_BOUND.toLocaleString("en")}: heap growth ${growth.toFixed(1)} MB ` +
      `(of which after the first ${HEAP_BOUND.toLocaleString("en")} names: ${pastBound.toFixed(1)} MB), ${r.cacheEntries} entries cached, gc ${r.gc ? "exposed" : "not exposed"}`,
  );
  return {
    heapGrowthMB: Number(growth.toFixed(2)),
    heapGrowthPastBoundMB: Number(pastBound.toFixed(2)),
    cacheEntriesAfter: r.cacheEntries,
    gcExposed: r.gc,
  };
}

export async function main(): Promise<void> {
  const dns = await startDnsChild();
  const endpoint = `127.0.0.1:${dns.port}`;
  try {
    console.log(`DNS server: ${dns.server} ${dns.detail}, in a child process on ${endpoint} (UDP+TCP)`);
    const pick = await cachedPick(endpoint);
    const lat = await latency(endpoint);
    const mem = await heap(endpoint);
    console.log(JSON.stringify({ dnsServer: dns.server, ...pick, ...lat, ...mem }));
  } finally {
    await dns.stop();
  }
}

if (require.main === module && process.argv[2] === "--heap-child") {
  heapChild(process.argv[3]!).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else if (require.main === module && process.argv[2] === "--latency-child") {
  latencyChild(process.argv[3]!).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else if (require.main === module && process.argv[2] === "--dns-child") {
  dnsChild().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
