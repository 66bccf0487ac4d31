// Benchmark of same-AZ-first selection and outlier detection through @ecssd/resolver's fetch dispatcher: a fleet
// in three availability zones on loopback (each instance an HTTP server on its own 127.0.0.x address, its host's
// A and AZ TXT records in the local zone, as the agent writes them), and callers in each AZ, each with its own
// resolver that knows its AZ. Scenarios, each bounded in requests:
//  1. balanced capacity, 3/3/3 and 4/4/4 (answers hold 8 records): the share of requests that leave the caller's AZ
//     (target <= 20%);
//  2. one AZ at a third of the others' capacity: each instance's load against the mean (target: none above 1.5x);
//  3. every instance of one AZ killed mid-run: requests that failed although another instance could have served
//     them (target 0);
//  4. one instance answering 503 to everything, callers one request at a time: how many of its requests each
//     caller sent before ejecting it
//     (target <= 5), and its share of its own AZ's callers' traffic afterwards (target < 2%).
// Last line: one JSON object with every figure.
import diagnostics from "node:diagnostics_channel";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Change } from "@aws-sdk/client-route-53";
import { createDispatcher, createResolver, type Resolver } from "@ecssd/resolver";
import { fetch } from "undici";
import { startLocalZone } from "../local/zone";
import { route53Client } from "../route53";
import { changeZone } from "../test/kit/zoneSeeding";

/** The outlier channel, by its public name (what any listener outside the package subscribes to). */
const ejectedChannel = diagnostics.channel("ecssd:outlier:ejected");

const AZS = ["use1-az1", "use1-az2", "use1-az4"] as const;
type Az = (typeof AZS)[number];
/** Concurrent request loops per caller AZ. */
const LOOPS_PER_CALLER = 4;
/** Requests each caller AZ sends in one scenario. */
const REQUESTS_PER_CALLER = 3_000;
/** SRV and address TTL: short, so that scenario changes reach the callers quickly. */
const TTL = 1;

/** One instance: an HTTP server on its own loopback address that counts requests by the caller's AZ. */
class Instance {
  readonly server: http.Server;
  readonly byCaller = new Map<string, number>();
  total = 0;
  /** Answer 503 to every request (the outlier scenario). */
  failing = false;
  port = 0;

  constructor(
    readonly name: string,
    readonly address: string,
    readonly az: Az,
  ) {
    this.server = http.createServer((req, res) => {
      const caller = String(req.headers["x-caller-az"] ?? "");
      this.byCaller.set(caller, (this.byCaller.get(caller) ?? 0) + 1);
      this.total++;
      res.statusCode = this.failing ? 503 : 200;
      res.end(this.failing ? "unavailable" : "ok");
    });
    this.server.keepAliveTimeout = 5_000;
  }

  async start(): Promise<void> {
    this.server.listen(0, this.address);
    await once(this.server, "listening");
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops at once, as a crashed task does: open connections are cut, new ones refused. */
  kill(): void {
    this.server.close();
    this.server.closeAllConnections();
  }

  reset(): void {
    this.byCaller.clear();
    this.total = 0;
  }
}

interface CallerResult {
  az: Az;
  requests: number;
  failed: number;
  /** Requests answered by an instance of another AZ. */
  crossAz: number;
}

/** `count` GETs from one caller AZ through its dispatcher, by `loops` concurrent loops. */
async function callFrom(
  az: Az,
  service: string,
  dispatcher: ReturnType<typeof createDispatcher>,
  instanceAz: Map<string, Az>,
  count: number,
  loops: number,
  onRequest?: (i: number) => void,
): Promise<CallerResult> {
  let next = 0;
  let failed = 0;
  let crossAz = 0;
  await Promise.all(
    Array.from({ length: loops }, async () => {
      while (next < count) {
        const i = next++;
        onRequest?.(i);
        try {
          const res = await fetch(`http://${service}/`, { dispatcher, headers: { "x-caller-az": az } });
          await res.text();
          const where = instanceAz.get(String(res.headers.get("x-ecssd-instance")).split(" ")[0] ?? "");
          if (where !== undefined && where !== az) crossAz++;
          if (res.status !== 200) failed++;
        } catch {
          failed++;
        }
      }
    }),
  );
  return { az, requests: count, failed, crossAz };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export async function main(): Promise<void> {
  const zone = await startLocalZone({ soaMinimumTtl: 1 });
  const route53 = route53Client({ endpoint: zone.apiUrl });
  const domain = zone.zoneName;
  const service = `_zones._tcp.${domain}`;
  const change = (changes: Change[]) => changeZone(route53, zone.hostedZoneId, changes);
  /** An instance's SRV set, as the agent writes it (one set per instance, multivalue answers). */
  const srvSet = (i: Instance): Change["ResourceRecordSet"] => ({
    Name: service,
    Type: "SRV",
    TTL: TTL,
    SetIdentifier: i.name,
    MultiValueAnswer: true,
    ResourceRecords: [{ Value: `1 1 ${i.port} ${i.name}` }],
  });

  let made = 0;
  /** `perAz[k]` instances in AZS[k], each with its host's A and AZ records and its SRV set. */
  async function fleet(perAz: readonly number[]): Promise<Instance[]> {
    const instances: Instance[] = [];
    for (const [k, az] of AZS.entries()) {
      for (let n = 0; n < (perAz[k] ?? 0); n++) {
        made++;
        instances.push(new Instance(`h${made}.${domain}`, `127.0.${10 + k}.${made}`, az));
      }
    }
    await Promise.all(instances.map((i) => i.start()));
    await change(
      instances.flatMap((i): Change[] => [
        {
          Action: "UPSERT",
          ResourceRecordSet: { Name: i.name, Type: "A", TTL, ResourceRecords: [{ Value: i.address }] },
        },
        {
          Action: "UPSERT",
          ResourceRecordSet: {
            Name: i.name,
            Type: "TXT",
            TTL,
            ResourceRecords: [{ Value: `"az-id=${i.az}"` }],
          },
        },
        { Action: "UPSERT", ResourceRecordSet: srvSet(i) },
      ]),
    );
    return instances;
  }

  async function retire(instances: readonly Instance[]): Promise<void> {
    await change(instances.map((i): Change => ({ Action: "DELETE", ResourceRecordSet: srvSet(i) })));
    for (const i of instances) if (i.server.listening) i.kill();
  }

  /** One caller per AZ, each with its own resolver (its own cache and outlier state) and dispatcher. */
  function callers(): { az: Az; resolver: Resolver; dispatcher: ReturnType<typeof createDispatcher> }[] {
    return AZS.map((az) => {
      const resolver = createResolver({
        servers: [`${zone.dns.host}:${zone.dns.port}`],
        domain,
        zoneAware: { azId: az },
      });
      return { az, resolver, dispatcher: createDispatcher(resolver, { instanceHeaders: true }) };
    });
  }

  async function closeAll(cs: ReturnType<typeof callers>): Promise<void> {
    await Promise.all(cs.map((c) => c.dispatcher.close()));
    for (const c of cs) c.resolver.close();
  }

  async function run(
    instances: readonly Instance[],
    onRequest?: (az: Az, i: number) => void,
    loops = LOOPS_PER_CALLER,
    cs = callers(),
  ): Promise<{ results: CallerResult[]; cs: ReturnType<typeof callers> }> {
    const instanceAz = new Map(instances.map((i) => [`${i.name}:${i.port}`, i.az] as [string, Az]));
    // Warm each caller's cache (SRV, A and TXT answers) so that every scenario measures selection, not the first lookup.
    for (const c of cs) await c.resolver.resolve(service);
    await new Promise((r) => setTimeout(r, 50));
    for (const i of instances) i.reset();
    const results = await Promise.all(
      cs.map((c) =>
        callFrom(c.az, service, c.dispatcher, instanceAz, REQUESTS_PER_CALLER, loops, (i) =>
          onRequest?.(c.az, i),
        ),
      ),
    );
    return { results, cs };
  }

  const crossShare = (rs: CallerResult[]) =>
    round3(rs.reduce((s, r) => s + r.crossAz, 0) / rs.reduce((s, r) => s + r.requests, 0));

  // 1. Balanced: three instances in each AZ.
  const balanced = await fleet([3, 3, 3]);
  const one = await run(balanced);
  await closeAll(one.cs);
  const balancedCross = crossShare(one.results);
  const balancedFailed = one.results.reduce((s, r) => s + r.failed, 0);
  console.log(
    `balanced (3/3/3)      : ${(balancedCross * 100).toFixed(1)}% of requests left the caller's AZ (target <= 20%), ${balancedFailed} failed`,
  );
  await retire(balanced);

  // 1b. Balanced past eight instances: a multivalue answer holds at most 8 records, chosen at random (as Route53's
  // does), so each caller judges its AZ's capacity from a sample of the fleet.
  const wide = await fleet([4, 4, 4]);
  const oneWide = await run(wide);
  await closeAll(oneWide.cs);
  const wideCross = crossShare(oneWide.results);
  console.log(
    `balanced (4/4/4)      : ${(wideCross * 100).toFixed(1)}% of requests left the caller's AZ (target <= 20%; each answer holds 8 of the 12)`,
  );
  await retire(wide);

  // 2. One AZ short: 3/3/1, callers evenly spread.
  const short = await fleet([3, 3, 1]);
  const two = await run(short);
  await closeAll(two.cs);
  const loads = short.map((i) => i.total);
  const mean = loads.reduce((s, x) => s + x, 0) / loads.length;
  const maxOverMean = round3(Math.max(...loads) / mean);
  const shortCross = crossShare(two.results);
  console.log(
    `one AZ short (3/3/1)  : busiest instance ${maxOverMean}x the mean load (target <= 1.5), loads ${loads.join(" ")}, ${(shortCross * 100).toFixed(1)}% left the caller's AZ`,
  );
  await retire(short);

  // 3. Every instance of the first AZ killed a third of the way through; its records stay (a crash the agent
  // has not seen yet), so only failover and the resolver's health keep requests whole.
  const doomed = await fleet([3, 3, 3]);
  let killedAt = -1;
  const three = await run(doomed, (az, i) => {
    if (az === AZS[0] && i === Math.floor(REQUESTS_PER_CALLER / 3) && killedAt < 0) {
      killedAt = i;
      for (const inst of doomed) if (inst.az === AZS[0]) inst.kill();
    }
  });
  await closeAll(three.cs);
  const killFailed = three.results.reduce((s, r) => s + r.failed, 0);
  const killedCaller = three.results.find((r) => r.az === AZS[0]) as CallerResult;
  console.log(
    `AZ ${AZS[0]} killed mid-run : ${killFailed} of ${three.results.reduce((s, r) => s + r.requests, 0)} requests failed (target 0; other AZs could serve all), its callers sent ${((killedCaller.crossAz / killedCaller.requests) * 100).toFixed(1)}% across AZs`,
  );
  await retire(doomed);

  // 4. Outlier: one instance of the first AZ answers 503 to everything.
  const outlierFleet = await fleet([3, 3, 3]);
  const bad = outlierFleet[0] as Instance;
  bad.failing = true;
  // One loop per caller here, so that no request is already on its way when a caller ejects it. Each caller's
  // resolver has its own outlier state: what the instance had received from a caller is counted the moment that
  // caller ejects it (synchronously, inside the answer that tripped it, read from the resolver's stats).
  const cs = callers();
  const receivedAtEjection = new Map<Az, number>();
  const sentAtEjection = new Map<Az, number>();
  const sentBy = new Map<Az, number>();
  let ejections = 0;
  const onEjected = () => {
    ejections++;
    for (const c of cs) {
      if (receivedAtEjection.has(c.az) || c.resolver.stats().outlierDetection.totals.ejections === 0)
        continue;
      receivedAtEjection.set(c.az, bad.byCaller.get(c.az) ?? 0);
      sentAtEjection.set(c.az, sentBy.get(c.az) ?? 0);
    }
  };
  ejectedChannel.subscribe(onEjected);
  const four = await run(outlierFleet, (az) => sentBy.set(az, (sentBy.get(az) ?? 0) + 1), 1, cs);
  ejectedChannel.unsubscribe(onEjected);
  await closeAll(four.cs);
  const requestsToEject = Math.max(0, ...receivedAtEjection.values());
  // Its share afterwards, for the callers of its own AZ: same AZ first keeps other AZs' callers away from it
  // anyway, so their requests would only dilute the figure.
  const local = bad.az;
  const afterShare = receivedAtEjection.has(local)
    ? round3(
        ((bad.byCaller.get(local) ?? 0) - (receivedAtEjection.get(local) ?? 0)) /
          Math.max(1, REQUESTS_PER_CALLER - (sentAtEjection.get(local) ?? 0)),
      )
    : 1;
  console.log(
    `outlier (503 always)  : ejected after ${requestsToEject} of its requests at most, by each of the ${receivedAtEjection.size} caller(s) that reached it (target <= 5); ${(afterShare * 100).toFixed(2)}% of its AZ's callers' traffic afterwards (target < 2%)`,
  );
  await retire(outlierFleet);

  route53.destroy();
  await zone.close();
  console.log(
    JSON.stringify({
      bench: "zones",
      azs: AZS.length,
      requestsPerCaller: REQUESTS_PER_CALLER,
      balanced: { crossAzShare: balancedCross, failed: balancedFailed, target: 0.2 },
      balancedPastEight: { crossAzShare: wideCross, target: 0.2 },
      oneAzShort: { maxOverMean, loads, crossAzShare: shortCross, target: 1.5 },
      azKilled: {
        failed: killFailed,
        crossAzShareOfItsCallers: round3(killedCaller.crossAz / killedCaller.requests),
        target: 0,
      },
      outlier: {
        requestsToEject,
        ejections,
        shareAfter: afterShare,
        targets: { requestsToEject: 5, shareAfter: 0.02 },
      },
    }),
  );
}
