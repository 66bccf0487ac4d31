// The reconciler believes ECS, not the zone, before it acts on a task (issue 25, finding 2 and a LOW item):
// moto's ECS runs the tasks (with what each host's ECS agent reports of their containers), the local zone holds
// the records, and real HTTP servers on loopback are the instances.
import assert from "node:assert/strict";
import { DescribeTasksCommand, type ECSClient } from "@aws-sdk/client-ecs";
import type { Route53Client } from "@aws-sdk/client-route-53";
import pino from "pino";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { reconcile, reconcilerConfig } from "../../reconciler";
import { recordSetKey } from "../../records";
import type { MotoServer } from "../support/moto";
import { EcsAgentReports, publishing8080 } from "./support/ecsAgentReports";
import { containerIdFor, EcsWorld, ecsClient, srvRecord, type Task } from "./support/ecsWorld";
import { type HealthServer, refusedPort, startHealthServer } from "./support/healthServers";
import { sharedMoto } from "./support/sharedMoto";
import { createSets, deleteSets, hostA, readZone, route53Client } from "./support/zoneFixtures";

const silent = pino({ level: "silent" });

describe("reconcile believes ECS, not the zone (moto ECS, local zone, real HTTP servers)", function () {
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

  /** A fresh cluster with one host running `count` tasks, and an empty zone but for the host's A record. */
  async function world(count: number): Promise<{ tasks: Task[]; hostId: string }> {
    await moto.reset();
    reports.clear();
    const w = new EcsWorld(ecs, moto.endpoint);
    await w.cluster("web");
    const host = await w.host("web");
    const tasks = await w.tasks(host, count);
    const existing = [...(await readZone(route53, zone.hostedZoneId)).values()].filter(
      (s) => s.SetIdentifier,
    );
    await deleteSets(route53, zone.hostedZoneId, existing);
    await createSets(route53, zone.hostedZoneId, [hostA(host.hostId, "127.0.0.1")]);
    return { tasks, hostId: host.hostId };
  }

  async function desiredStatus(task: Task): Promise<string | undefined> {
    const out = await ecs.send(new DescribeTasksCommand({ cluster: "web", tasks: [task.taskArn] }));
    return out.tasks?.[0]?.desiredStatus;
  }

  const run = (overrides: Parameters<typeof reconcilerConfig>[0] = {}) =>
    reconcile(
      { route53, ecs, logger: silent },
      reconcilerConfig({
        zoneId: zone.hostedZoneId,
        healthTimeoutMs: 300,
        stopUnhealthyTasks: true,
        maxDeleteShare: 1,
        ...overrides,
      }),
    );

  it("deletes a copy of a victim's SetIdentifier aimed at a closed port as forged, and stops no task", async () => {
    const { tasks, hostId } = await world(1);
    const victim = tasks[0] as Task;
    const server = await startHealthServer("healthy");
    servers.push(server);
    reports.containers.set(victim.taskArn, [publishing8080(containerIdFor(1), server.port)]);
    const genuine = srvRecord({ hostId, container: 1, hostPort: server.port, taskId: victim.taskId });
    // Same SetIdentifier, another name, the victim's host, a port nothing listens on.
    const forged = srvRecord({
      hostId,
      container: 1,
      hostPort: await refusedPort(),
      taskId: victim.taskId,
      service: "_evil._tcp",
    });
    await createSets(route53, zone.hostedZoneId, [genuine, forged]);

    const summary = await run();

    assert.equal(summary.tasksStopped, 0);
    assert.equal(await desiredStatus(victim), "RUNNING", "the victim's task runs on");
    assert.equal(summary.deleted.byReason.forged, 1);
    assert.equal(summary.deleted.byReason.unhealthy, 0);
    const after = await readZone(route53, zone.hostedZoneId);
    assert.ok(!after.has(recordSetKey(forged)), "the forged set is gone");
    assert.ok(after.has(recordSetKey(genuine)), "the victim's own set stays");
    assert.deepEqual(server.hits, ["/health"], "only the victim's real port was checked");
  });

  it("still stops a task whose port, as ECS reports it bound, fails its checks", async () => {
    const { tasks, hostId } = await world(2);
    const [sick, unreported] = tasks as [Task, Task];
    const server = await startHealthServer("error");
    servers.push(server);
    reports.containers.set(sick.taskArn, [publishing8080(containerIdFor(1), server.port)]);
    const sickSet = srvRecord({ hostId, container: 1, hostPort: server.port, taskId: sick.taskId });
    // ECS reports nothing of this task's containers: it leaves DNS when it fails, but is not stopped.
    const unreportedSet = srvRecord({
      hostId,
      container: 2,
      hostPort: await refusedPort(),
      taskId: unreported.taskId,
    });
    await createSets(route53, zone.hostedZoneId, [sickSet, unreportedSet]);

    const summary = await run();

    assert.equal(summary.deleted.byReason.unhealthy, 2);
    assert.equal(summary.tasksStopped, 1);
    assert.equal(await desiredStatus(sick), "STOPPED");
    assert.equal(await desiredStatus(unreported), "RUNNING");
  });

  it("keeps the records of a task ECS listed but did not describe, and reports it", async () => {
    const { tasks, hostId } = await world(2);
    const [described, undescribed] = tasks as [Task, Task];
    reports.undescribed.add(undescribed.taskArn);
    const sets = [
      srvRecord({ hostId, container: 1, hostPort: 31_001, taskId: described.taskId }),
      srvRecord({ hostId, container: 2, hostPort: 31_002, taskId: undescribed.taskId }),
    ];
    await createSets(route53, zone.hostedZoneId, sets);

    // The tasks' family (moto's task definition) is calc, the only family that may offer _calc._tcp.
    const summary = await run({
      checkHealth: false,
      serviceOwners: new Map([["_calc._tcp", new Set(["calc"])]]),
    });

    assert.equal(summary.deleted.total, 0, JSON.stringify(summary.deleted.byReason));
    assert.equal(summary.inventory.undescribedTasks, 1);
    const after = await readZone(route53, zone.hostedZoneId);
    for (const s of sets) assert.ok(after.has(recordSetKey(s)), `${recordSetKey(s)} stays`);
  });
});
