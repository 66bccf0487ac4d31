// Health checks against real HTTP servers on loopback: the zone (the local zone) points each instance at
// one of them through its host's A record (127.0.0.1), and ECS (moto) runs the tasks.
import assert from "node:assert/strict";
import http from "node:http";
import type net from "node:net";
import { DescribeTasksCommand, type ECSClient } from "@aws-sdk/client-ecs";
import type { ResourceRecordSet, Route53Client } from "@aws-sdk/client-route-53";
import pino from "pino";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { reconcile, reconcilerConfig } from "../../reconciler";
import { checkEndpoints } from "../../reconciler/healthChecks";
import { recordSetKey } from "../../records";
import type { MotoServer } from "../support/moto";
import { EcsAgentReports, publishing8080 } from "./support/ecsAgentReports";
import { containerIdFor, EcsWorld, ecsClient, type Host, srvRecord, type Task } from "./support/ecsWorld";
import { type Behaviour, type HealthServer, refusedPort, startHealthServer } from "./support/healthServers";
import { sharedMoto } from "./support/sharedMoto";
import { createSets, deleteSets, hostA, readZone, route53Client } from "./support/zoneFixtures";

const silent = pino({ level: "silent" });

describe("reconcile health checks (real HTTP servers on loopback)", function () {
  this.timeout(60_000);
  let moto: MotoServer;
  let zone: LocalZone;
  let ecs: ECSClient;
  let reports: EcsAgentReports;
  let route53: Route53Client;
  let servers: HealthServer[] = [];

  before(async () => {
    [moto, zone] = await Promise.all([sharedMoto(), startLocalZone()]);
    ecs = ecsClient(moto.endpoint);
    reports = new EcsAgentReports(ecs);
    route53 = route53Client(zone.apiUrl);
  });
  after(async () => {
    ecs?.destroy();
    route53?.destroy();
    await zone?.close();
  });
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });

  /** One task per behaviour on one live host, each task's SRV record pointing at its own server. */
  async function instances(behaviours: (Behaviour | "refused")[]): Promise<{
    host: Host;
    byBehaviour: Map<string, { task: Task; set: ResourceRecordSet; server?: HealthServer }>;
    hostRecord: ResourceRecordSet;
  }> {
    await moto.reset();
    reports.clear();
    const world = new EcsWorld(ecs, moto.endpoint);
    await world.cluster("web");
    const host = await world.host("web");
    const tasks = await world.tasks(host, behaviours.length);
    const byBehaviour = new Map<string, { task: Task; set: ResourceRecordSet; server?: HealthServer }>();
    for (const [i, behaviour] of behaviours.entries()) {
      const server = behaviour === "refused" ? undefined : await startHealthServer(behaviour);
      if (server) servers.push(server);
      const port = server?.port ?? (await refusedPort());
      const task = tasks[i] as Task;
      const set = srvRecord({ hostId: host.hostId, container: i, hostPort: port, taskId: task.taskId });
      // As the host's ECS agent reports it: the task's container publishes its port there.
      reports.containers.set(task.taskArn, [publishing8080(containerIdFor(i), port)]);
      byBehaviour.set(behaviour, { task, set, ...(server && { server }) });
    }
    const hostRecord = hostA(host.hostId, "127.0.0.1");
    const existing = await readZone(route53, zone.hostedZoneId);
    const ours = [...existing.values()].filter((s) => s.SetIdentifier);
    await deleteSets(route53, zone.hostedZoneId, ours);
    await createSets(route53, zone.hostedZoneId, [
      hostRecord,
      ...[...byBehaviour.values()].map((v) => v.set),
    ]);
    return { host, byBehaviour, hostRecord };
  }

  it("deletes instances that answer 500, refuse, or never answer; keeps 2xx and 3xx; stops their tasks", async () => {
    const { byBehaviour, hostRecord } = await instances(["healthy", "redirect", "error", "refused", "hang"]);

    const summary = await reconcile(
      { route53, ecs, logger: silent },
      reconcilerConfig({
        zoneId: zone.hostedZoneId,
        healthTimeoutMs: 300,
        stopUnhealthyTasks: true,
        maxDeleteShare: 1,
      }),
    );

    const after = await readZone(route53, zone.hostedZoneId);
    const present = (b: string) => after.has(recordSetKey(byBehaviour.get(b)!.set));
    assert.deepEqual(
      ["healthy", "redirect", "error", "refused", "hang"].map((b) => [b, present(b)]),
      [
        ["healthy", true],
        ["redirect", true],
        ["error", false],
        ["refused", false],
        ["hang", false],
      ],
    );
    assert.ok(after.has(recordSetKey(hostRecord)), "the live host keeps its A record");
    assert.deepEqual(
      { checked: summary.health.checked, healthy: summary.health.healthy, failed: summary.health.failed },
      { checked: 5, healthy: 2, failed: 3 },
    );
    assert.equal(summary.deleted.byReason.unhealthy, 3);
    const details = summary.health.failures.map((f) => f.detail).sort();
    assert.deepEqual(details, ["ECONNREFUSED", "HTTP 500", "timed out after 300 ms"]);
    // Three attempts each before giving up, on the configured path.
    assert.deepEqual(byBehaviour.get("error")!.server!.hits, ["/health", "/health", "/health"]);
    assert.equal(byBehaviour.get("hang")!.server!.hits.length, 3);
    assert.deepEqual(byBehaviour.get("healthy")!.server!.hits, ["/health"]);

    assert.equal(summary.tasksStopped, 3);
    const arns = ["healthy", "error", "refused", "hang"].map((b) => byBehaviour.get(b)!.task.taskArn);
    const described = await ecs.send(new DescribeTasksCommand({ cluster: "web", tasks: arns }));
    const byArn = new Map((described.tasks ?? []).map((t) => [t.taskArn, t]));
    assert.equal(byArn.get(arns[0])?.desiredStatus, "RUNNING");
    for (const arn of arns.slice(1)) {
      assert.equal(byArn.get(arn)?.desiredStatus, "STOPPED");
      assert.match(
        byArn.get(arn)?.stoppedReason ?? "",
        /^ecssd reconciler: health check http:\/\/127\.0\.0\.1:\d+\/health failed 3 times/,
      );
    }
  });

  it("a dry run checks health and reports the failures, but deletes and stops nothing", async () => {
    const { byBehaviour } = await instances(["healthy", "error"]);
    const summary = await reconcile(
      { route53, ecs, logger: silent },
      reconcilerConfig({
        zoneId: zone.hostedZoneId,
        healthTimeoutMs: 300,
        healthPath: "/ready?probe=1",
        stopUnhealthyTasks: true,
        dryRun: true,
      }),
    );
    assert.equal(summary.planned.byReason.unhealthy, 1);
    assert.equal(summary.deleted.total, 0);
    assert.equal(summary.tasksStopped, 0);
    assert.deepEqual(byBehaviour.get("healthy")!.server!.hits, ["/ready?probe=1"]);
    const after = await readZone(route53, zone.hostedZoneId);
    assert.ok(after.has(recordSetKey(byBehaviour.get("error")!.set)));
  });

  it("does not judge an instance whose host has no address in the zone", async () => {
    const { byBehaviour, hostRecord } = await instances(["error"]);
    await deleteSets(route53, zone.hostedZoneId, [hostRecord]);

    const summary = await reconcile(
      { route53, ecs, logger: silent },
      reconcilerConfig({ zoneId: zone.hostedZoneId, healthTimeoutMs: 300 }),
    );
    assert.deepEqual(
      { checked: summary.health.checked, skipped: summary.health.skipped, deleted: summary.deleted.total },
      { checked: 0, skipped: 1, deleted: 0 },
    );
    assert.deepEqual(byBehaviour.get("error")!.server!.hits, []);
  });

  it("starts no attempt it could not finish before the deadline, and calls nobody unhealthy for it", async () => {
    const server = await startHealthServer("error");
    servers.push(server);
    const results = await checkEndpoints([{ address: "127.0.0.1", port: server.port }], {
      path: "/health",
      timeoutMs: 1_000,
      attempts: 3,
      concurrency: 1,
      deadline: Date.now() + 500,
    });
    assert.equal([...results.values()][0]?.verdict, "skipped");
    assert.deepEqual(server.hits, []);
  });

  it("never has more checks in flight than the concurrency allows", async () => {
    let inFlight = 0;
    let peak = 0;
    const handler: http.RequestListener = (_req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(204).end();
      }, 30);
    };
    // Twenty distinct endpoints, so none is deduplicated away.
    const slow = Array.from({ length: 20 }, () => http.createServer(handler));
    await Promise.all(slow.map((s) => new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve))));
    try {
      const targets = slow.map((s) => ({
        address: "127.0.0.1",
        port: (s.address() as net.AddressInfo).port,
      }));
      const results = await checkEndpoints(targets, {
        path: "/health",
        timeoutMs: 2_000,
        attempts: 1,
        concurrency: 4,
      });
      assert.equal([...results.values()].filter((r) => r.verdict === "healthy").length, 20);
      assert.equal(peak, 4);
    } finally {
      await Promise.all(
        slow.map((s) => {
          s.closeAllConnections();
          return new Promise<void>((resolve) => s.close(() => resolve()));
        }),
      );
    }
  });
});
