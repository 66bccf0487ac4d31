// The registrar's AZ sets: a task's AZ name (DescribeTasks' availabilityZone) mapped to its AZ ID by moto's EC2
// DescribeAvailabilityZones (one call for the process) or by ECSSD_AZ_IDS, written beside the task's A set in
// the same request, answered by the zone's DNS (dig), removed with it at the stop; through Route53 and through
// the coalescer. A task whose AZ is unknown is registered all the same, with one problem line and no AZ set.
//
// moto's DescribeTasks leaves out the task's availabilityZone, which AWS gives every task; a task source over
// the registrar's own EcsTaskSource adds the one moto's subnets are in (us-east-1a).
import assert from "node:assert/strict";
import { DescribeAvailabilityZonesCommand, EC2Client } from "@aws-sdk/client-ec2";
import type { Route53Client } from "@aws-sdk/client-route-53";
import type { Coalescer } from "../../coalescer/coalescer";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { Ec2AzIds, GivenAzIds } from "../../registrar/availabilityZoneIds";
import { CoalescerTaskZone } from "../../registrar/coalescerTaskZone";
import { registrarConfigFromEnv } from "../../registrar/config";
import { EcsTaskSource } from "../../registrar/ecsTaskSource";
import {
  applyTaskEvent,
  type RegistrarDeps,
  type TaskSource,
  type TaskZone,
} from "../../registrar/registrar";
import { Registrar, registrarSettings } from "../../registrar/registrarWithClients";
import { Route53TaskZone } from "../../registrar/route53TaskZone";
import { route53Client } from "../../route53";
import { AwsCall } from "../../route53/awsCall";
import { ec2Client } from "../../route53/ec2Client";
import { zoneRecords } from "../kit/agentFixtures";
import { REGION } from "../kit/awsClients";
import { digShort } from "../kit/dig";
import { localCoalescer } from "../kit/localCoalescer";
import { ecsClient } from "../reconciler/support/ecsWorld";
import { sharedMoto } from "../reconciler/support/sharedMoto";
import type { MotoServer } from "../support/moto";
import { AwsvpcWorld, holdTaskStates, taskEvent } from "./support/awsvpcWorld";

const ZONE = "servicediscovery.internal";
const AZ_NAME = "us-east-1a";

/** The registrar's EcsTaskSource, with the AZ name AWS would give (moto gives none). */
function withAvailabilityZone(source: TaskSource, name: string): TaskSource {
  return {
    taskDefinition: (arn) => source.taskDefinition(arn),
    describeTask: async (cluster, task) => {
      const described = await source.describeTask(cluster, task);
      return described === "missing" ? described : { ...described, availabilityZone: name };
    },
  };
}

describe("registrar: the AZ set beside an awsvpc task's A set (moto ECS and EC2, local zone)", function () {
  this.timeout(60_000);
  let moto: MotoServer;
  let zone: LocalZone;
  let route53: Route53Client;
  let ec2: EC2Client;
  let world: AwsvpcWorld;
  let cluster: string;
  let azId: string;
  const calls = new AwsCall();
  const config = registrarConfigFromEnv({ ECSSD_ZONE_NAME: ZONE, ECSSD_CLUSTERS: "apps" });

  before(async () => {
    [moto, zone] = await Promise.all([sharedMoto(), startLocalZone({ zoneName: ZONE })]);
    await moto.reset();
    await holdTaskStates(moto.endpoint, true);
    route53 = route53Client({ endpoint: zone.apiUrl });
    ec2 = ec2Client({ region: REGION, endpoint: moto.endpoint });
    world = new AwsvpcWorld(ecsClient(moto.endpoint), moto.endpoint);
    cluster = await world.cluster("apps");
    // What the account says, asked independently of the code under test.
    const zones = await new EC2Client({
      region: REGION,
      endpoint: moto.endpoint,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    }).send(new DescribeAvailabilityZonesCommand({}));
    azId = zones.AvailabilityZones?.find((z) => z.ZoneName === AZ_NAME)?.ZoneId as string;
    assert.match(azId, /^[a-z]{2,4}\d-az\d+$/, "moto gives zone ids");
  });

  after(async () => {
    await holdTaskStates(moto.endpoint, false);
    route53.destroy();
    ec2.destroy();
    await zone.close();
  });

  async function start(family: string) {
    const def = await world.definition(family, [
      { name: "web", environment: { SERVICE_8080_NAME: `_${family}._tcp` } },
    ]);
    const taskArn = await world.run(cluster, def);
    const task = await world.describe(cluster, taskArn);
    const taskId = taskArn.split("/").pop() as string;
    return {
      taskArn,
      taskId,
      running: () => taskEvent(task, { version: 3, lastStatus: "RUNNING", desiredStatus: "RUNNING" }),
      stopping: () => taskEvent(task, { version: 4, lastStatus: "RUNNING", desiredStatus: "STOPPED" }),
    };
  }

  const deps = (zoneWriter: TaskZone, zones: RegistrarDeps["zones"]): RegistrarDeps => ({
    tasks: withAvailabilityZone(new EcsTaskSource(ecsClient(moto.endpoint), calls.call), AZ_NAME),
    zone: zoneWriter,
    ...(zones && { zones }),
  });
  const route53Zone = () => new Route53TaskZone(route53, async () => zone.hostedZoneId, calls.call);

  it("maps the task's AZ name through DescribeAvailabilityZones (once), writes the set, and removes it at the stop", async () => {
    const t = await start("azone");
    const mapped = new Ec2AzIds(ec2, calls.call);
    const before = calls.byOperation.DescribeAvailabilityZones ?? 0;
    const r = await applyTaskEvent(t.running(), deps(route53Zone(), mapped), registrarSettings(config));
    assert.equal(r.outcome, "registered", r.reason);
    assert.equal(r.records, 3, "A, AZ and SRV sets");
    assert.deepEqual(r.problems, []);
    const name = `${t.taskId}.${ZONE}`;
    assert.deepEqual(await digShort(zone, "TXT", name), [`"az-id=${azId}"`]);
    const types = (await zoneRecords(zone, route53))
      .filter((x) => x.startsWith(`${name}|`))
      .map((x) => x.split("|").slice(1, 3).join("|"));
    assert.deepEqual(
      types,
      [`A|ecssd1task:${t.taskId}`, `TXT|ecssd1task:${t.taskId}`],
      "the AZ set is the A set's twin",
    );

    // The mapping is the process's: a second task costs no second call.
    const u = await start("bzone");
    assert.equal(
      (await applyTaskEvent(u.running(), deps(route53Zone(), mapped), registrarSettings(config))).records,
      3,
    );
    assert.equal((calls.byOperation.DescribeAvailabilityZones ?? 0) - before, 1);

    await world.stop(cluster, t.taskArn);
    const s = await applyTaskEvent(t.stopping(), deps(route53Zone(), mapped), registrarSettings(config));
    assert.equal(s.outcome, "deregistered", s.reason);
    assert.equal(s.records, 3, "the A, AZ and SRV sets");
    assert.deepEqual(await digShort(zone, "TXT", name), []);
    assert.deepEqual(
      (await zoneRecords(zone, route53)).filter((x) => x.includes(t.taskId)),
      [],
    );
  });

  it("takes ECSSD_AZ_IDS instead of EC2 when given, and a name it lacks costs one problem and no AZ set", async () => {
    const given = registrarConfigFromEnv({
      ECSSD_ZONE_NAME: ZONE,
      ECSSD_AZ_IDS: `${AZ_NAME}=euw1-az3, us-east-1b=euw1-az1`,
    });
    assert.deepEqual(
      [...(given.azIds ?? [])],
      [
        [AZ_NAME, "euw1-az3"],
        ["us-east-1b", "euw1-az1"],
      ],
    );
    const t = await start("given");
    const r = await applyTaskEvent(
      t.running(),
      deps(route53Zone(), new GivenAzIds(given.azIds!)),
      registrarSettings(given),
    );
    assert.equal(r.records, 3);
    assert.deepEqual(await digShort(zone, "TXT", `${t.taskId}.${ZONE}`), ['"az-id=euw1-az3"']);

    const u = await start("unmapped");
    const lacking = new GivenAzIds(new Map([["us-east-1b", "use1-az1"]]));
    const v = await applyTaskEvent(u.running(), deps(route53Zone(), lacking), registrarSettings(given));
    assert.equal(v.outcome, "registered");
    assert.equal(v.records, 2, "its A and SRV sets, no AZ set");
    assert.deepEqual(
      v.problems.map((p) => [p.code, p.container, p.message]),
      [["unknown-az-id", "(task)", 'no AZ set is written: ECSSD_AZ_IDS does not map the AZ "us-east-1a"']],
    );
    assert.deepEqual(await digShort(zone, "TXT", `${u.taskId}.${ZONE}`), []);
    for (const task of [t, u]) await world.stop(cluster, task.taskArn);
    assert.equal(
      (
        await applyTaskEvent(
          t.stopping(),
          deps(route53Zone(), new GivenAzIds(given.azIds!)),
          registrarSettings(given),
        )
      ).records,
      3,
    );
    assert.equal(
      (await applyTaskEvent(u.stopping(), deps(route53Zone(), lacking), registrarSettings(given))).records,
      2,
    );
  });

  it("removes the AZ set at the stop even when the task's AZ cannot be looked up then", async () => {
    const t = await start("lostaz");
    const mapped = new GivenAzIds(new Map([[AZ_NAME, "use1-az2"]]));
    const r = await applyTaskEvent(t.running(), deps(route53Zone(), mapped), registrarSettings(config));
    assert.equal(r.records, 3, "A, AZ and SRV sets");
    await world.stop(cluster, t.taskArn);
    // At the stop the lookup fails (EC2 refused, say): the plan has no AZ set, yet the task has one.
    const lost = new GivenAzIds(new Map());
    const s = await applyTaskEvent(t.stopping(), deps(route53Zone(), lost), registrarSettings(config));
    assert.equal(s.outcome, "deregistered", s.reason);
    assert.equal(s.records, 3, "the A and SRV sets as planned, and the AZ set found at the task's name");
    assert.deepEqual(await digShort(zone, "TXT", `${t.taskId}.${ZONE}`), []);
    assert.deepEqual(
      (await zoneRecords(zone, route53)).filter((x) => x.includes(t.taskId)),
      [],
    );
  });

  it("registers a task ECS gives no AZ, with one problem line, through the Registrar over EC2", async () => {
    const registrar = new Registrar(
      { route53, ecs: ecsClient(moto.endpoint), ec2 },
      {
        ...config,
        zoneId: zone.hostedZoneId,
      },
    );
    const t = await start("noaz");
    const r = await registrar.apply(t.running());
    assert.equal(r.outcome, "registered", r.reason);
    assert.equal(r.records, 2);
    assert.deepEqual(
      r.problems.map((p) => [p.code, p.message]),
      [["unknown-az-id", "no AZ set is written: ECS names no availabilityZone for the task"]],
    );
    // An AZ that stops being known meanwhile does not keep a stop from deleting what the task has.
    await world.stop(cluster, t.taskArn);
    assert.equal((await registrar.apply(t.stopping())).records, 2);
  });

  it("writes and removes the AZ set through the coalescer's task zone, in the coalescer's batches", async () => {
    const coalescer: Coalescer = localCoalescer(zone, { client: route53 });
    await coalescer.start();
    try {
      const t = await start("coal");
      const through = new CoalescerTaskZone(coalescer);
      const r = await applyTaskEvent(
        t.running(),
        deps(through, new Ec2AzIds(ec2, calls.call)),
        registrarSettings(config),
      );
      assert.equal(r.records, 3, r.reason);
      assert.deepEqual(await digShort(zone, "TXT", `${t.taskId}.${ZONE}`), [`"az-id=${azId}"`]);
      await world.stop(cluster, t.taskArn);
      const s = await applyTaskEvent(
        t.stopping(),
        deps(through, new Ec2AzIds(ec2, calls.call)),
        registrarSettings(config),
      );
      assert.equal(s.records, 3);
      assert.deepEqual(await digShort(zone, "TXT", `${t.taskId}.${ZONE}`), []);
    } finally {
      await coalescer.stop(0);
    }
  });
});
