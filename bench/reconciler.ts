// `npm run bench -- reconciler`: how the reconciler uses the APIs at scale, and how long health checks take.
//  1. A zone of 10,000 of our record sets (plus foreign ones) and 5,000 running tasks in 5 clusters, every
//     API answer delayed by LATENCY_MS: API calls made against the minimum possible, and duration; then a
//     second, steady-state run with nothing left to delete.
//     Route53 is the local zone (its `latencyMs` fault). ECS is an in-process SDK double on the ECS client
//     (test/kit/ecsDouble.ts) that pages as AWS documents and delays every answer by the same
//     latency. moto's server was measured and is too slow at this size: its DescribeTasks scans every task
//     for each id asked, ~10 s for the 50 describes of 5,000 tasks before any added latency.
//  2. 1,000 health checks of loopback servers, 10% of which accept and never answer, with the default
//     settings (concurrency 64, 2 s timeout, 3 attempts) and, for comparison, with concurrency 32.
//  3. Health verdicts: how many ChangeResourceRecordSets each kind of run sends (the account's Route53 budget
//     is shared): instances failing beside stale ones, a steady run, verdicts lifted beside a new failure,
//     one failure alone.
import http from "node:http";
import type net from "node:net";
import type { ResourceRecordSet } from "@aws-sdk/client-route-53";
import pino from "pino";
import { startLocalZone } from "../local/zone";
import { CONFIG_DEFAULTS, reconcile, reconcilerConfig } from "../reconciler";
import { ECS_PAGE_SIZE } from "../reconciler/ecsInventory";
import { checkEndpoints, type HealthTarget } from "../reconciler/healthChecks";
import { CHANGE_BATCH_LIMITS, ROUTE53_PAGE_SIZE } from "../reconciler/zoneRecords";
import { ecsClient } from "../route53/ecsClient";
import { route53Client } from "../test/kit/awsClients";
import { type DoubleCluster, installEcsDouble } from "../test/kit/ecsDouble";
import { foreignSets, hostA, srvRecord } from "../test/kit/recordFixtures";
import { createSets } from "../test/kit/zoneSeeding";

const LATENCY_MS = 50;
const CLUSTERS = 5;
const HOSTS_PER_CLUSTER = 10;
const TASKS_PER_HOST = 100; // 5 × 10 × 100 = 5,000 running tasks
const DEAD_HOSTS = 5;
const SRV_PER_DEAD_HOST = 200;
const OUR_SETS = 10_000;
const HEALTH_CHECKS = 1_000;
const HANGING_SHARE = 0.1;
const HEALTH_TARGET_MS = 15_000;
const ACCOUNT = "123456789012";
const quiet = pino({ level: "silent" });

export async function main(): Promise<void> {
  const scale = await zoneAndInventory();
  const health = await healthChecks();
  const verdicts = await verdictRequests();
  const result = { bench: "reconciler", ...scale, health, verdicts };
  console.log(JSON.stringify(result));
}

async function zoneAndInventory() {
  const zone = await startLocalZone();
  // The product's factory; the double answers every request, so no endpoint and no credentials are used.
  const ecs = ecsClient({ region: "us-east-1" });
  const route53 = route53Client(zone.apiUrl);
  const ecsDouble = installEcsDouble(ecs, [], { latencyMs: LATENCY_MS });
  try {
    const setupStarted = performance.now();
    // ECS: 5 clusters of 10 hosts with 100 running tasks each.
    const clusters: DoubleCluster[] = [];
    const live: ResourceRecordSet[] = [];
    const liveHosts: string[] = [];
    let n = 0;
    const srv = (hostId: string, taskId: string) =>
      srvRecord({
        hostId,
        container: n,
        hostPort: 10_000 + (n % 50_000),
        taskId,
        service: `_svc${Math.floor(n++ / 90)}._tcp`,
      });
    for (let c = 0; c < CLUSTERS; c++) {
      const cluster: DoubleCluster = {
        arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/cluster-${c}`,
        instances: [],
        tasks: [],
      };
      for (let h = 0; h < HOSTS_PER_CLUSTER; h++) {
        const hostId = `i-0${(c * HOSTS_PER_CLUSTER + h).toString(16).padStart(16, "0")}`;
        const instanceArn = `arn:aws:ecs:us-east-1:${ACCOUNT}:container-instance/cluster-${c}/${hostId.slice(2)}`;
        cluster.instances.push({ arn: instanceArn, ec2InstanceId: hostId, status: "ACTIVE" });
        liveHosts.push(hostId);
        live.push(hostA(hostId));
        for (let t = 0; t < TASKS_PER_HOST; t++) {
          const taskId = (c * 1_000_000 + h * 1_000 + t).toString(16).padStart(32, "0");
          cluster.tasks.push({
            arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task/cluster-${c}/${taskId}`,
            containerInstanceArn: instanceArn,
            desiredStatus: "RUNNING",
          });
          live.push(srv(hostId, taskId));
        }
      }
      clusters.push(cluster);
    }
    ecsDouble.restore();
    const stub = installEcsDouble(ecs, clusters, { latencyMs: LATENCY_MS });

    // The zone: every running task and live host, dead hosts with their instances, and stopped tasks on
    // live hosts: 10,000 of our record sets in all, under the safety valve's 50%.
    const deadHosts = Array.from(
      { length: DEAD_HOSTS },
      (_, i) => `i-0dead${i.toString(16).padStart(12, "0")}`,
    );
    const deadHostSets = deadHosts.flatMap((h) => [
      hostA(h),
      ...Array.from({ length: SRV_PER_DEAD_HOST }, (_, i) => srv(h, `gone-${i}`)),
    ]);
    const stoppedCount = OUR_SETS - live.length - deadHostSets.length;
    const stoppedSets = Array.from({ length: stoppedCount }, (_, i) =>
      srv(liveHosts[i % liveHosts.length] as string, `stopped-${i}`),
    );
    const foreign = foreignSets();
    const all = [...live, ...deadHostSets, ...stoppedSets, ...foreign];
    await createSets(route53, zone.hostedZoneId, all);
    const runningTasks = clusters.reduce((k, c) => k + c.tasks.length, 0);
    console.log(
      `setup: ${runningTasks} running tasks on ${liveHosts.length} hosts in ${CLUSTERS} clusters; zone of ${OUR_SETS} of our ` +
        `record sets (+${foreign.length} foreign) in ${Math.round(performance.now() - setupStarted)} ms`,
    );

    zone.setFaults({ latencyMs: LATENCY_MS });
    const config = reconcilerConfig({ checkHealth: false });
    const first = await reconcile({ route53, ecs, logger: quiet }, config);
    const second = await reconcile({ route53, ecs, logger: quiet }, config);
    stub.restore();

    // The minimum: the zone found in one call, every record set read once in pages of 300, every deletion in
    // as few ChangeResourceRecordSets as the 1,000-change / 32,000-character limits allow; every ECS list read
    // in pages of 100 and described in batches of 100.
    const zoneSets = all.length + 2; // + SOA and NS
    const deleted = [...deadHostSets, ...stoppedSets];
    const deleteChars = deleted.reduce(
      (k, r) => k + (r.ResourceRecords ?? []).reduce((m, v) => m + (v.Value ?? "").length, 0),
      0,
    );
    const pages = (k: number) => Math.max(1, Math.ceil(k / ECS_PAGE_SIZE));
    const perClusterTasks = HOSTS_PER_CLUSTER * TASKS_PER_HOST;
    const minimum: Record<string, number> = {
      ListHostedZonesByName: 1,
      ListResourceRecordSets: Math.ceil(zoneSets / ROUTE53_PAGE_SIZE),
      ChangeResourceRecordSets: Math.max(
        Math.ceil(deleted.length / CHANGE_BATCH_LIMITS.changes),
        Math.ceil(deleteChars / CHANGE_BATCH_LIMITS.valueCharacters),
      ),
      ListClusters: pages(CLUSTERS),
      ListContainerInstances: CLUSTERS * pages(HOSTS_PER_CLUSTER),
      DescribeContainerInstances: CLUSTERS * pages(HOSTS_PER_CLUSTER),
      ListTasks: CLUSTERS * pages(perClusterTasks),
      DescribeTasks: CLUSTERS * pages(perClusterTasks),
    };
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    // The second run reads a smaller zone and deletes nothing.
    const steadyMinimum =
      sum(minimum) -
      (minimum.ChangeResourceRecordSets as number) -
      (minimum.ListResourceRecordSets as number) +
      Math.ceil((zoneSets - deleted.length) / ROUTE53_PAGE_SIZE);

    console.log(
      `run 1: deleted ${first.deleted.total} (${JSON.stringify(first.deleted.byReason)}) in ${first.durationMs} ms; ` +
        `API calls ${first.apiCalls.total} (minimum ${sum(minimum)}): ${JSON.stringify(first.apiCalls.byOperation)}`,
    );
    console.log(
      `run 2 (steady state): deleted ${second.deleted.total} in ${second.durationMs} ms; API calls ` +
        `${second.apiCalls.total} (minimum ${steadyMinimum})`,
    );
    return {
      latencyMs: LATENCY_MS,
      route53Server: "local zone, latency from its latencyMs fault",
      ecsServer:
        "in-process SDK double (aws-sdk-client-mock on the ECS client) paging as AWS does, latency added per request; " +
        "moto's server is too slow at this size",
      zone: {
        ourRecordSets: OUR_SETS,
        foreign: foreign.length,
        runningTasks,
        clusters: CLUSTERS,
        hosts: liveHosts.length,
      },
      run: {
        durationMs: first.durationMs,
        deleted: first.deleted.total,
        deletedByReason: first.deleted.byReason,
        safetyValveTripped: first.safetyValve.tripped,
        apiCalls: first.apiCalls.total,
        apiCallsMinimum: sum(minimum),
        apiCallsByOperation: first.apiCalls.byOperation,
        minimumByOperation: minimum,
        retries: first.apiCalls.retries,
      },
      steadyRun: {
        durationMs: second.durationMs,
        deleted: second.deleted.total,
        apiCalls: second.apiCalls.total,
        apiCallsMinimum: steadyMinimum,
      },
    };
  } finally {
    ecsDouble.restore();
    ecs.destroy();
    route53.destroy();
    await zone.close();
  }
}

async function healthChecks() {
  const hanging = Math.round(HEALTH_CHECKS * HANGING_SHARE);
  const servers: http.Server[] = [];
  const targets: HealthTarget[] = [];
  try {
    for (let i = 0; i < HEALTH_CHECKS; i++) {
      const hang = i % Math.round(1 / HANGING_SHARE) === 0;
      const server = http.createServer((_req, res) => {
        if (!hang) res.writeHead(200).end("ok");
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      servers.push(server);
      targets.push({ address: "127.0.0.1", port: (server.address() as net.AddressInfo).port });
    }
    const runAt = async (concurrency: number) => {
      const options = {
        path: CONFIG_DEFAULTS.healthPath,
        timeoutMs: CONFIG_DEFAULTS.healthTimeoutMs,
        attempts: CONFIG_DEFAULTS.healthAttempts,
        concurrency,
      };
      const started = performance.now();
      const results = await checkEndpoints(targets, options);
      const durationMs = Math.round(performance.now() - started);
      const verdicts = [...results.values()];
      // Every hanging endpoint holds a slot for attempts × timeout: the floor no scheduling can beat.
      const floorMs = Math.ceil((hanging * options.attempts * options.timeoutMs) / concurrency);
      const out = {
        concurrency,
        durationMs,
        floorMs,
        healthy: verdicts.filter((v) => v.verdict === "healthy").length,
        unhealthy: verdicts.filter((v) => v.verdict === "unhealthy").length,
        withinTarget: durationMs <= HEALTH_TARGET_MS,
      };
      console.log(
        `health: ${HEALTH_CHECKS} checks, ${hanging} hanging, concurrency ${concurrency}: ${durationMs} ms ` +
          `(floor ${floorMs} ms = ${hanging} × ${options.attempts} attempts × ${options.timeoutMs} ms / ${concurrency}); ` +
          `${out.healthy} healthy, ${out.unhealthy} unhealthy`,
      );
      return out;
    };
    const atDefault = await runAt(CONFIG_DEFAULTS.healthConcurrency);
    const at32 = await runAt(32);
    return {
      checks: HEALTH_CHECKS,
      hanging,
      timeoutMs: CONFIG_DEFAULTS.healthTimeoutMs,
      attempts: CONFIG_DEFAULTS.healthAttempts,
      targetMs: HEALTH_TARGET_MS,
      atDefaultConcurrency: atDefault,
      atConcurrency32: at32,
    };
  } finally {
    await Promise.all(
      servers.map((s) => {
        s.closeAllConnections();
        return new Promise<void>((resolve) => s.close(() => resolve()));
      }),
    );
  }
}

const VERDICT_INSTANCES = 50;
const VERDICT_STALE = 20;
const VERDICT_HEALTHY = 100;

/** One host, one cluster: per run, the Route53 change requests sent, and what they did. */
async function verdictRequests() {
  const zone = await startLocalZone();
  const ecs = ecsClient({ region: "us-east-1" });
  const route53 = route53Client(zone.apiUrl);
  const servers: http.Server[] = [];
  const failing = new Set<number>();
  // A server per instance that may fail; its port is its identity.
  const serve = async () => {
    const server = http.createServer((_req, res) => {
      const port = (server.address() as net.AddressInfo).port;
      res.writeHead(failing.has(port) ? 500 : 200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    return (server.address() as net.AddressInfo).port;
  };
  const hostId = "i-0bench00000000001";
  const instanceArn = `arn:aws:ecs:us-east-1:${ACCOUNT}:container-instance/verdicts/${hostId.slice(2)}`;
  const cluster: DoubleCluster = {
    arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/verdicts`,
    instances: [{ arn: instanceArn, ec2InstanceId: hostId, status: "ACTIVE" }],
    tasks: [],
  };
  const stub = installEcsDouble(ecs, [cluster]);
  try {
    const sets: ResourceRecordSet[] = [hostA(hostId)];
    const checkedPorts: number[] = [];
    const healthyPort = await serve();
    let n = 0;
    const instance = (port: number, running: boolean) => {
      const taskId = (0xbe00000 + n).toString(16).padStart(32, "0");
      if (running)
        cluster.tasks.push({
          arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task/verdicts/${taskId}`,
          containerInstanceArn: instanceArn,
          desiredStatus: "RUNNING",
        });
      sets.push(srvRecord({ hostId, container: n, hostPort: port, taskId, service: `_v${n++ % 5}._tcp` }));
    };
    for (let i = 0; i < VERDICT_INSTANCES + 1; i++) {
      const port = await serve();
      checkedPorts.push(port);
      instance(port, true);
    }
    // Healthy instances share one server: the run checks each endpoint once.
    for (let i = 0; i < VERDICT_HEALTHY; i++) instance(healthyPort, true);
    for (let i = 0; i < VERDICT_STALE; i++) instance(healthyPort, false);
    await createSets(route53, zone.hostedZoneId, sets);

    const config = reconcilerConfig({ zoneId: zone.hostedZoneId, maxDeleteShare: 1, healthTimeoutMs: 500 });
    const runs: Record<string, unknown>[] = [];
    const run = async (what: string) => {
      const s = await reconcile({ route53, ecs, logger: quiet }, config);
      const out = {
        what,
        changeRequests: s.apiCalls.byOperation.ChangeResourceRecordSets ?? 0,
        deleted: s.deleted.total,
        verdicts: s.health.verdicts,
      };
      console.log(
        `verdicts: ${what}: ${out.changeRequests} change requests; deleted ${out.deleted}; verdicts ${JSON.stringify(out.verdicts)}`,
      );
      runs.push(out);
    };
    const [lastPort, ...firstPorts] = [checkedPorts.at(-1) as number, ...checkedPorts.slice(0, -1)];
    for (const p of firstPorts) failing.add(p);
    await run(`${VERDICT_INSTANCES} instances fail beside ${VERDICT_STALE} stale ones`);
    await run("steady: the verdicts still fail");
    failing.clear();
    failing.add(lastPort);
    await run(`the ${VERDICT_INSTANCES} verdicts pass, one more instance fails`);
    await run("steady: one verdict still fails");
    failing.clear();
    await run("that verdict passes");
    const lonePort = await serve();
    failing.add(lonePort);
    instance(lonePort, true);
    await createSets(route53, zone.hostedZoneId, [sets.at(-1) as ResourceRecordSet]);
    await run("one instance fails alone");
    return { instances: VERDICT_INSTANCES, stale: VERDICT_STALE, healthy: VERDICT_HEALTHY, runs };
  } finally {
    stub.restore();
    ecs.destroy();
    route53.destroy();
    await Promise.all(
      servers.map((s) => {
        s.closeAllConnections();
        return new Promise<void>((resolve) => s.close(() => resolve()));
      }),
    );
    await zone.close();
  }
}
