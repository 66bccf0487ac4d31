// A verdict in two requests, end to end: the reconciler against the local zone (which throttles and rejects
// as Route53 does) and moto's ECS, real HTTP servers as instances, and the host's agent loop reading the same
// zone. The marker goes first, in a request of TXT UPSERTs alone, the instance after it, in a request of
// DELETEs alone: the only requests the reconciler's role allows (asked of the IAM simulator here too). Every
// failure between and after the two is left for the next run, or the agent, to finish.
import assert from "node:assert/strict";
import { DescribeTasksCommand, type ECSClient } from "@aws-sdk/client-ecs";
import type { ResourceRecordSet, Route53Client } from "@aws-sdk/client-route-53";
import pino from "pino";
import { Route53Zone as AgentZone } from "../../agent/route53Zone";
import { type Log, SyncLoop } from "../../agent/syncLoop";
import { reconcilerPolicy } from "../../infra/policies";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { reconcile, reconcilerConfig } from "../../reconciler";
import { parseHealthMarker, type RecordSet, recordSetKey } from "../../records";
import { fromRoute53 } from "../../route53";
import { isAllowed } from "../infra/support/iamEvaluation";
import { changeZone } from "../kit/zoneSeeding";
import type { MotoServer } from "../support/moto";
import { type ChangeRequest, recordChangeRequests } from "./support/changeRequests";
import { EcsAgentReports, publishing8080 } from "./support/ecsAgentReports";
import { containerIdFor, EcsWorld, ecsClient, type Host, srvRecord, type Task } from "./support/ecsWorld";
import { type HealthServer, startHealthServer } from "./support/healthServers";
import { sharedMoto } from "./support/sharedMoto";
import { createSets, deleteSets, hostA, readZone, route53Client, ZONE } from "./support/zoneFixtures";

const silent = pino({ level: "silent" });
const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };
/** Two attempts, no waiting: "throttled past every retry" without the wait. */
const FEW_RETRIES = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 };

describe("reconciler verdicts in two requests (local zone, moto ECS, the host's agent)", function () {
  this.timeout(120_000);
  let moto: MotoServer;
  let zone: LocalZone;
  let ecs: ECSClient;
  let reports: EcsAgentReports;
  let route53: Route53Client;
  let requests: ChangeRequest[];
  let servers: HealthServer[] = [];

  before(async () => {
    [moto, zone] = await Promise.all([sharedMoto(), startLocalZone()]);
    ecs = ecsClient(moto.endpoint);
    reports = new EcsAgentReports(ecs);
  });
  beforeEach(() => {
    // A client of its own per test: the recorder sees only that test's requests.
    route53 = route53Client(zone.apiUrl);
    requests = recordChangeRequests(route53);
  });
  after(async () => {
    ecs?.destroy();
    await zone?.close();
  });
  afterEach(async () => {
    zone.setFaults({});
    route53?.destroy();
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });

  /** `count` tasks on one live host, each instance's SRV set pointing at its own server, all failing. */
  async function failingInstances(count: number): Promise<{ host: Host; tasks: Task[]; sets: RecordSet[] }> {
    await moto.reset();
    reports.clear();
    const world = new EcsWorld(ecs, moto.endpoint);
    await world.cluster("web");
    const host = await world.host("web");
    const tasks = await world.tasks(host, count);
    const sets: RecordSet[] = [];
    for (const [i, task] of tasks.entries()) {
      const server = await startHealthServer("error");
      servers.push(server);
      sets.push(srvRecord({ hostId: host.hostId, container: i, hostPort: server.port, taskId: task.taskId }));
      reports.containers.set(task.taskArn, [publishing8080(containerIdFor(i), server.port)]);
    }
    const old = [...(await readZone(route53, zone.hostedZoneId)).values()].filter((s) => s.SetIdentifier);
    await deleteSets(route53, zone.hostedZoneId, old);
    await createSets(route53, zone.hostedZoneId, [hostA(host.hostId, "127.0.0.1"), ...sets]);
    requests.length = 0;
    return { host, tasks, sets };
  }

  const run = (options: { retryPolicy?: typeof FEW_RETRIES; stopUnhealthyTasks?: boolean } = {}) =>
    reconcile(
      { route53, ecs, logger: silent, ...(options.retryPolicy && { retryPolicy: options.retryPolicy }) },
      reconcilerConfig({
        zoneId: zone.hostedZoneId,
        healthTimeoutMs: 300,
        stopUnhealthyTasks: options.stopUnhealthyTasks ?? true,
        maxDeleteShare: 1,
      }),
    );
  const inZone = async () => [...(await readZone(route53, zone.hostedZoneId)).values()];
  const has = (sets: ResourceRecordSet[], set: RecordSet) =>
    sets.some((s) => recordSetKey(s) === recordSetKey(set));
  const verdictsIn = (sets: ResourceRecordSet[]) =>
    sets.filter((s) => {
      const set = fromRoute53(s);
      return set?.Type === "TXT" && parseHealthMarker(set)?.kind === "verdict";
    });
  const desiredStatus = async (task: Task) =>
    (await ecs.send(new DescribeTasksCommand({ cluster: "web", tasks: [task.taskArn] }))).tasks?.[0]
      ?.desiredStatus;
  const policy = reconcilerPolicy({
    zoneArn: "arn:aws:route53:::hostedzone/Z0AAAAAAAAAAAAAAAAAAA",
    zoneName: ZONE,
    clusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/web",
    stopUnhealthyTasks: true,
  });
  const allowedByIam = (r: ChangeRequest) =>
    isAllowed(policy, {
      action: "route53:ChangeResourceRecordSets",
      resource: "arn:aws:route53:::hostedzone/Z0AAAAAAAAAAAAAAAAAAA",
      context: {
        "route53:ChangeResourceRecordSetsActions": r.actions,
        "route53:ChangeResourceRecordSetsRecordTypes": r.types,
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": r.names,
      },
    });

  it("takes many failing instances out in two requests its role allows, and lifts their verdicts once they pass", async () => {
    const { sets } = await failingInstances(12);
    // Tasks left running, so that their instances can pass again (a stopped task's verdict is cleared).
    const summary = await run({ stopUnhealthyTasks: false });
    assert.deepEqual(
      requests.map((r) => [r.actions, r.types]),
      [
        [["UPSERT"], ["TXT"]],
        [["DELETE"], ["SRV"]],
      ],
    );
    for (const r of requests) assert.equal(await allowedByIam(r), true, JSON.stringify(r));
    assert.equal(summary.apiCalls.byOperation.ChangeResourceRecordSets, 2);
    assert.equal(summary.health.verdicts.written, 12);
    assert.equal(summary.deleted.byReason.unhealthy, 12);
    let now = await inZone();
    assert.equal(verdictsIn(now).length, 12);
    assert.ok(!sets.some((s) => has(now, s)));

    for (const s of servers) s.behave("healthy");
    requests.length = 0;
    const after = await run({ stopUnhealthyTasks: false });
    assert.equal(after.health.verdicts.lifted, 12);
    assert.deepEqual(
      requests.map((r) => [r.actions, r.types]),
      [[["DELETE"], ["TXT"]]],
    );
    now = await inZone();
    assert.deepEqual(verdictsIn(now), []);
  });

  it("a marker written but its instance's delete throttled past every retry: the agent takes the instance out, and the next run lifts the verdict once it passes", async () => {
    const { host, tasks, sets } = await failingInstances(1);
    const [instance, task] = [sets[0] as RecordSet, tasks[0] as Task];
    const server = servers[0] as HealthServer;
    // The agent on the host: it wrote the instance, and holds it as applied state.
    const agentClient = route53Client(zone.apiUrl);
    const agent = new SyncLoop({
      zone: new AgentZone(agentClient, zone.hostedZoneId),
      hostId: host.hostId,
      flushMs: 0,
      log: quiet,
    });
    try {
      agent.setGroup("host", [hostA(host.hostId, "127.0.0.1")]);
      agent.setGroup("calc", [instance]);
      await agent.loadApplied();
      agent.start();
      await agent.whenConverged();
      assert.deepEqual(agent.pendingChanges(), []);

      // Room for the marker's UPSERT (two changes) and nothing more for a long while.
      zone.setFaults({ changesPerSecond: 0.001, changeBurst: 2 });
      const summary = await run({ retryPolicy: FEW_RETRIES });
      zone.setFaults({});
      assert.deepEqual(
        requests.map((r) => [r.actions, r.types]),
        [
          [["UPSERT"], ["TXT"]],
          [["DELETE"], ["SRV"]],
          [["DELETE"], ["SRV"]],
        ],
      );
      assert.deepEqual(
        {
          failed: summary.deleted.failed,
          written: summary.health.verdicts.written,
          stopped: summary.tasksStopped,
        },
        { failed: 1, written: 0, stopped: 0 },
      );
      let now = await inZone();
      assert.ok(has(now, instance), "the instance is still in DNS");
      assert.equal(verdictsIn(now).length, 1, "with its verdict beside it");
      assert.equal(await desiredStatus(task), "RUNNING", "a task is stopped only once its record is out");

      // The agent's next read of the zone finds the verdict: it deletes the instance itself, and keeps it out.
      agent.requestZoneRefresh();
      await agent.whenConverged();
      now = await inZone();
      assert.ok(!has(now, instance), "the agent took the instance out");
      assert.equal(verdictsIn(now).length, 1);

      // The instance recovers: the next run lifts the verdict, and the agent writes the instance back.
      server.behave("healthy");
      const next = await run();
      assert.equal(next.health.verdicts.lifted, 1);
      agent.requestHeldRefresh();
      await agent.whenConverged();
      now = await inZone();
      assert.ok(has(now, instance), "the agent wrote the instance back");
      assert.deepEqual(verdictsIn(now), []);
    } finally {
      await agent.stop();
      agentClient.destroy();
    }
  });

  it("a marker written but its instance's delete throttled: a run that finds it still failing finishes the job", async () => {
    const { tasks, sets } = await failingInstances(1);
    const [instance, task] = [sets[0] as RecordSet, tasks[0] as Task];
    zone.setFaults({ changesPerSecond: 0.001, changeBurst: 2 });
    await run({ retryPolicy: FEW_RETRIES });
    zone.setFaults({});
    assert.ok(has(await inZone(), instance));

    const next = await run();
    const now = await inZone();
    assert.ok(!has(now, instance), "out of DNS");
    assert.equal(verdictsIn(now).length, 1, "with its verdict");
    assert.deepEqual(
      {
        written: next.health.verdicts.written,
        lifted: next.health.verdicts.lifted,
        stopped: next.tasksStopped,
      },
      { written: 1, lifted: 0, stopped: 1 },
    );
    assert.equal(await desiredStatus(task), "STOPPED");
  });

  it("a marker written but the instance rewritten before its delete: the delete is refused, the instance stays, the marker is taken back", async () => {
    const { tasks, sets } = await failingInstances(1);
    const [instance, task] = [sets[0] as RecordSet, tasks[0] as Task];
    const moved: RecordSet = {
      ...instance,
      ResourceRecords: [{ Value: (instance.ResourceRecords[0]?.Value ?? "").replace(/^1 1 /, "1 5 ") }],
    };
    // Someone (its agent, after a restart with another weight) rewrites the instance right after the marker.
    const writer = route53Client(zone.apiUrl);
    let rewritten = false;
    route53.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        if (!rewritten && requests.length === 1 && requests[0]?.types.join() === "TXT") {
          rewritten = true;
          await changeZone(writer, zone.hostedZoneId, [{ Action: "UPSERT", ResourceRecordSet: moved }]);
        }
        return out;
      },
      { step: "initialize", name: "rewriteAfterMarker" },
    );
    try {
      const summary = await run();
      assert.ok(rewritten);
      assert.equal(summary.deleted.keptAfterChange, 1);
      assert.equal(summary.health.verdicts.written, 0);
      const now = await inZone();
      assert.ok(has(now, moved), "the rewritten instance stays");
      assert.equal(
        now.find((s) => recordSetKey(s) === recordSetKey(moved))?.ResourceRecords?.[0]?.Value,
        moved.ResourceRecords[0]?.Value,
      );
      assert.deepEqual(verdictsIn(now), [], "the verdict on what was checked is taken back");
      assert.equal(await desiredStatus(task), "RUNNING");
      for (const r of requests) assert.equal(await allowedByIam(r), true, JSON.stringify(r));
    } finally {
      writer.destroy();
    }
  });
});
