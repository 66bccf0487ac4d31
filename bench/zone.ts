// `npm run bench -- zone`: DNS throughput of the local zone serving 1,000 SRV record sets, next to
// unbound serving the same records, both measured by dnsperf in the same run. Both servers get one
// thread (the local zone is single-threaded Node), so the ratio compares them per core.
// Two alternating rounds, the best run of each server reported. Set BENCH_CPU_PROFILE=1 to add a
// profiled run of the local zone and print where its time goes.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startLocalZone } from "../local/zone";
import { route53Client } from "../route53";
import { digShort } from "../test/kit/dig";
import { createSets } from "../test/kit/zoneSeeding";
import { profileWhile } from "./support/cpuProfile";
import { type DnsperfResult, runDnsperf } from "./support/dnsperf";
import { type LocalRecord, startUnbound } from "./support/unbound";

const SERVICES = 200;
const INSTANCES_PER_SERVICE = 5;
const HOSTS = 20;
const SECONDS = 10;
/** Rounds of one dnsperf run per server, alternating; the best run of each server is reported. */
const ROUNDS = 2;
const CLIENTS = 4;
const MAX_QPS = 200_000;
const TARGET_QPS = 30_000;

interface BenchRecordSet {
  readonly name: string;
  readonly type: "A" | "SRV";
  readonly ttl: number;
  readonly value: string;
  readonly setIdentifier?: string;
}

/** 200 services x 5 multivalue instances spread over 20 hosts, plus the hosts' A records. */
function benchRecords(zone: string): BenchRecordSet[] {
  const sets: BenchRecordSet[] = [];
  for (let h = 0; h < HOSTS; h++) {
    sets.push({ name: `host-${pad(h, 2)}.${zone}.`, type: "A", ttl: 60, value: `10.0.0.${h + 1}` });
  }
  for (let s = 0; s < SERVICES; s++) {
    for (let i = 0; i < INSTANCES_PER_SERVICE; i++) {
      const n = s * INSTANCES_PER_SERVICE + i;
      sets.push({
        name: `_svc${pad(s, 3)}._tcp.${zone}.`,
        type: "SRV",
        ttl: 10,
        value: `1 1 ${20000 + n} host-${pad(n % HOSTS, 2)}.${zone}.`,
        setIdentifier: `svc${pad(s, 3)}-instance-${i}`,
      });
    }
  }
  return sets;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

async function loadThroughApi(
  apiUrl: string,
  hostedZoneId: string,
  sets: readonly BenchRecordSet[],
): Promise<void> {
  const client = route53Client({ endpoint: apiUrl, maxAttempts: 3 });
  try {
    await createSets(
      client,
      hostedZoneId,
      sets.map((s) => ({
        Name: s.name,
        Type: s.type,
        TTL: s.ttl,
        ResourceRecords: [{ Value: s.value }],
        ...(s.setIdentifier ? { SetIdentifier: s.setIdentifier, MultiValueAnswer: true } : {}),
      })),
    );
  } finally {
    client.destroy();
  }
}

/** The SRV answer of a server for one name, as sorted presentation lines (dig +short). */
function srvAnswer(port: number, name: string): Promise<string[]> {
  return digShort({ host: "127.0.0.1", port }, "SRV", name);
}

/** A dnsperf run and the server's CPU time per completed query. */
interface Measured extends DnsperfResult {
  readonly cpuMicrosPerQuery: number;
}

function best(runs: readonly Measured[]): Measured {
  return runs.reduce((a, b) => (b.qps > a.qps ? b : a));
}

function summaryLine(name: string, r: Measured): string {
  return (
    `${name.padEnd(22)} ${r.qps.toFixed(0).padStart(7)} qps  ` +
    `latency avg ${r.latencyMs.avg.toFixed(3)} ms (min ${r.latencyMs.min.toFixed(3)}, max ${r.latencyMs.max.toFixed(3)})  ` +
    `lost ${r.queriesLost} of ${r.queriesSent}  cpu ${r.cpuMicrosPerQuery.toFixed(1)} us/query  [${r.responseCodes}]`
  );
}

export async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ecssd-bench-zone-"));
  const zone = await startLocalZone({ host: "127.0.0.1", apiPort: 0, dnsPort: 0 });
  let unbound: Awaited<ReturnType<typeof startUnbound>> | undefined;
  try {
    const sets = benchRecords(zone.zoneName);
    const srvSetCount = sets.filter((s) => s.type === "SRV").length;
    const loadStart = Date.now();
    await loadThroughApi(zone.apiUrl, zone.hostedZoneId, sets);
    console.log(
      `loaded ${srvSetCount} SRV record sets and ${HOSTS} host A records through the Route53 API in ${Date.now() - loadStart} ms`,
    );

    const localData: LocalRecord[] = sets.map((s) => ({
      name: s.name,
      type: s.type,
      ttl: s.ttl,
      value: s.value,
    }));
    unbound = await startUnbound(zone.zoneName, localData);

    const names = [...new Set(sets.filter((s) => s.type === "SRV").map((s) => s.name))];
    const queryFile = path.join(tmp, "queries.txt");
    fs.writeFileSync(queryFile, names.map((n) => `${n} SRV\n`).join(""));

    // Both servers must give the same answer, or the comparison means nothing.
    for (const name of [names[0]!, names[names.length - 1]!]) {
      const fromZone = await srvAnswer(zone.dns.port, name);
      const fromUnbound = await srvAnswer(unbound.port, name);
      if (fromZone.length !== INSTANCES_PER_SERVICE || fromZone.join("\n") !== fromUnbound.join("\n")) {
        throw new Error(
          `the servers answer ${name} differently:\nlocal zone:\n${fromZone.join("\n")}\nunbound:\n${fromUnbound.join("\n")}`,
        );
      }
    }

    const run = (port: number, seconds = SECONDS) =>
      runDnsperf({ server: "127.0.0.1", port, queryFile, seconds, clients: CLIENTS, maxQps: MAX_QPS });
    // CPU time per query is what "per core" means, and other load on the machine hardly moves it,
    // where it moves queries per second a lot. The local zone shares this process, which idles meanwhile.
    const ownCpuMicros = () => {
      const u = process.cpuUsage();
      return u.user + u.system;
    };
    const measured = async (port: number, cpuMicros: () => number): Promise<Measured> => {
      const before = cpuMicros();
      const result = await run(port);
      return { ...result, cpuMicrosPerQuery: (cpuMicros() - before) / Math.max(1, result.queriesCompleted) };
    };
    console.log(
      `dnsperf -l ${SECONDS} -c ${CLIENTS} -Q ${MAX_QPS}, ${names.length} SRV names, one thread per server, ${ROUNDS} alternating rounds (best of each reported)`,
    );
    // Alternating rounds, best of each: other load on the machine only ever lowers a figure, and
    // alternating keeps a burst of it from landing on one server only.
    const localRuns: Measured[] = [];
    const unboundRuns: Measured[] = [];
    const ub = unbound;
    for (let round = 1; round <= ROUNDS; round++) {
      const l = await measured(zone.dns.port, ownCpuMicros);
      localRuns.push(l);
      console.log(summaryLine(`round ${round} local zone`, l));
      const u = await measured(ub.port, () => ub.cpuMicros());
      unboundRuns.push(u);
      console.log(summaryLine(`round ${round} unbound`, u));
    }
    const local = best(localRuns);
    const reference = best(unboundRuns);
    console.log(summaryLine("local zone", local));
    console.log(summaryLine("unbound", reference));
    const ratio = local.qps / reference.qps;
    console.log(`ratio local zone / unbound: ${ratio.toFixed(3)}`);
    // Capacity of one fully used core, from the least CPU per query each server needed.
    const localCpu = Math.min(...localRuns.map((r) => r.cpuMicrosPerQuery));
    const unboundCpu = Math.min(...unboundRuns.map((r) => r.cpuMicrosPerQuery));
    const localPerCore = 1_000_000 / localCpu;
    const unboundPerCore = 1_000_000 / unboundCpu;
    console.log(
      `CPU per query: local zone ${localCpu.toFixed(1)} us, unbound ${unboundCpu.toFixed(1)} us; ` +
        `one busy core answers ~${localPerCore.toFixed(0)} and ~${unboundPerCore.toFixed(0)} qps (ratio ${(localPerCore / unboundPerCore).toFixed(3)})`,
    );
    console.log(
      `target ${TARGET_QPS} SRV qps for the local zone: ${local.qps >= TARGET_QPS ? "met" : `NOT met (${local.qps.toFixed(0)} qps)`}`,
    );

    if (process.env.BENCH_CPU_PROFILE === "1") {
      // Outside the temporary directory, which is removed at the end: the profile is for reading later.
      const file = path.join(os.tmpdir(), `ecssd-bench-zone-${process.pid}.cpuprofile`);
      const hot = await profileWhile(() => run(zone.dns.port, 5), file);
      console.log(`CPU profile of the local zone under dnsperf (5 s) written to ${file}; top self time:`);
      for (const f of hot) console.log(`  ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
    }

    console.log(
      JSON.stringify({
        bench: "zone",
        localZoneQps: Math.round(local.qps),
        unboundQps: Math.round(reference.qps),
        ratio: Number(ratio.toFixed(3)),
        srvRecordSets: srvSetCount,
        srvNames: names.length,
        hostRecords: HOSTS,
        targetQps: TARGET_QPS,
        meetsTarget: local.qps >= TARGET_QPS,
        localZoneLatencyMs: Number(local.latencyMs.avg.toFixed(3)),
        unboundLatencyMs: Number(reference.latencyMs.avg.toFixed(3)),
        localZoneLost: local.queriesLost,
        unboundLost: reference.queriesLost,
        localZoneCpuUsPerQuery: Number(localCpu.toFixed(2)),
        unboundCpuUsPerQuery: Number(unboundCpu.toFixed(2)),
        localZoneQpsPerCore: Math.round(localPerCore),
        unboundQpsPerCore: Math.round(unboundPerCore),
        perCoreRatio: Number((localPerCore / unboundPerCore).toFixed(3)),
        localZoneQpsRuns: localRuns.map((r) => Math.round(r.qps)),
        unboundQpsRuns: unboundRuns.map((r) => Math.round(r.qps)),
        seconds: SECONDS,
        clients: CLIENTS,
      }),
    );
  } finally {
    await unbound?.close();
    await zone.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
