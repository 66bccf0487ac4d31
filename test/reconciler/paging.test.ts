// Paging, proven with SDK-level doubles (aws-sdk-client-mock) that page as AWS documents, because moto's
// ECS answers ListTasks and ListContainerInstances in one page whatever their size.
import assert from "node:assert/strict";
import {
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
} from "@aws-sdk/client-ecs";
import {
  ChangeResourceRecordSetsCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { ApiCalls } from "../../reconciler/apiCalls";
import { EcsInventory } from "../../reconciler/ecsInventory";
import { InventoryError, ZoneNotFoundError, ZoneRecordsError } from "../../reconciler/errors";
import { Route53ReconcilerZone } from "../../reconciler/route53Zone";
import { deleteRecordSets, listRecordSets } from "../../reconciler/zoneRecords";
import type { RecordSet } from "../../records";

const ACCOUNT = "123456789012";
const clusterArn = (n: number) => `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/c${n}`;
const instanceArn = (n: number) => `arn:aws:ecs:us-east-1:${ACCOUNT}:container-instance/c0/ci${n}`;
const taskArn = (n: number) => `arn:aws:ecs:us-east-1:${ACCOUNT}:task/c0/${n.toString(16).padStart(32, "0")}`;
const ec2Id = (n: number) => `i-${n.toString(16).padStart(17, "0")}`;

/** AWS-style paging: at most `maxResults` (≤ 100) per page, an opaque token for the rest. */
function page<T>(items: readonly T[], input: { nextToken?: string; maxResults?: number }) {
  const start = input.nextToken ? Number(input.nextToken.replace("tok-", "")) : 0;
  const end = start + Math.min(input.maxResults ?? 100, 100);
  return { items: items.slice(start, end), nextToken: end < items.length ? `tok-${end}` : undefined };
}

describe("EcsInventory paging (SDK doubles)", () => {
  // mockClient(Class) replaces `send` of every instance: only while this suite runs, never at load time.
  let ecsMock: AwsClientStub<ECSClient>;
  before(() => {
    ecsMock = mockClient(ECSClient);
  });
  afterEach(() => ecsMock.reset());
  after(() => ecsMock.restore());

  // 120 clusters (2 pages); c0 holds 230 container instances (3 pages) and 1,050 running tasks (11 pages).
  const clusters = Array.from({ length: 120 }, (_, i) => clusterArn(i));
  const statuses = (n: number) => (n % 10 === 0 ? "DRAINING" : n % 10 === 1 ? "DEREGISTERING" : "ACTIVE");
  const instances = Array.from({ length: 230 }, (_, i) => i);
  const tasks = Array.from({ length: 1_050 }, (_, i) => i);

  function world() {
    ecsMock.on(ListClustersCommand).callsFake((input) => {
      const p = page(clusters, input);
      return { clusterArns: p.items, nextToken: p.nextToken };
    });
    ecsMock.on(ListContainerInstancesCommand).callsFake((input) => {
      const p = page(input.cluster === clusterArn(0) ? instances.map(instanceArn) : [], input);
      return { containerInstanceArns: p.items, nextToken: p.nextToken };
    });
    ecsMock.on(DescribeContainerInstancesCommand).callsFake((input) => {
      assert.ok(input.containerInstances.length <= 100, "at most 100 container instances per describe");
      return {
        containerInstances: input.containerInstances.map((arn: string) => {
          const n = Number(arn.split("/ci")[1]);
          return { containerInstanceArn: arn, ec2InstanceId: ec2Id(n), status: statuses(n) };
        }),
        failures: [],
      };
    });
    ecsMock.on(ListTasksCommand).callsFake((input) => {
      assert.equal(input.desiredStatus, "RUNNING");
      const p = page(input.cluster === clusterArn(0) ? tasks.map(taskArn) : [], input);
      return { taskArns: p.items, nextToken: p.nextToken };
    });
    ecsMock.on(DescribeTasksCommand).callsFake((input) => {
      assert.ok(input.tasks.length <= 100, "at most 100 tasks per describe");
      return {
        tasks: input.tasks.map((arn: string) => {
          const n = Number.parseInt(arn.split("/").pop()!, 16);
          return {
            taskArn: arn,
            // Task 7 was asked to stop between the list and the describe.
            desiredStatus: n === 7 ? "STOPPED" : "RUNNING",
            containerInstanceArn: instanceArn(n % 230),
            containers: [{ runtimeId: `${n.toString(16).padStart(8, "0")}${"ab".repeat(28)}` }],
          };
        }),
        failures: [],
      };
    });
  }

  it("reads every page of clusters, container instances and tasks, and describes in batches of 100", async () => {
    world();
    const calls = new ApiCalls();
    const snapshot = await new EcsInventory({
      ecs: new ECSClient({ region: "us-east-1" }),
      clusters: [],
      calls,
    }).snapshot();

    assert.equal(snapshot.counts.clusters, 120);
    assert.equal(snapshot.tasks?.size, 1_049);
    assert.ok(!snapshot.tasks?.has(taskArn(7).split("/").pop()!), "a task being stopped is not alive");
    // ACTIVE and DRAINING count as alive; DEREGISTERING does not.
    assert.equal(snapshot.hosts.size, 230 - 23);
    assert.ok(snapshot.hosts.has(ec2Id(10)) && !snapshot.hosts.has(ec2Id(11)));
    const t = snapshot.tasks?.get(taskArn(300).split("/").pop()!);
    assert.equal(t?.hostId, ec2Id(300 % 230));
    assert.equal(t?.containerIds?.length, 1);
    assert.deepEqual(calls.byOperation, {
      ListClusters: 2,
      ListContainerInstances: 120 + 2, // c0 has three pages, the other 119 one each
      DescribeContainerInstances: 3,
      ListTasks: 120 + 10,
      DescribeTasks: 11,
    });
    const tokens = ecsMock
      .commandCalls(ListTasksCommand, { cluster: clusterArn(0) })
      .map((c) => c.args[0].input.nextToken);
    assert.deepEqual(tokens, [undefined, ...Array.from({ length: 10 }, (_, i) => `tok-${(i + 1) * 100}`)]);
  });

  it("treats a MISSING container instance as gone, and any other describe failure as an incomplete inventory", async () => {
    world();
    const failWith = (reason: string) =>
      ecsMock.on(DescribeContainerInstancesCommand).callsFake((input) => ({
        containerInstances: input.containerInstances
          .filter((arn: string) => !arn.endsWith("/ci5"))
          .map((arn: string) => {
            const n = Number(arn.split("/ci")[1]);
            return { containerInstanceArn: arn, ec2InstanceId: ec2Id(n), status: "ACTIVE" };
          }),
        failures: input.containerInstances
          .filter((arn: string) => arn.endsWith("/ci5"))
          .map((arn: string) => ({ arn, reason, detail: "as ECS reported it" })),
      }));
    const inventory = () =>
      new EcsInventory({
        ecs: new ECSClient({ region: "us-east-1" }),
        clusters: [clusterArn(0)],
        calls: new ApiCalls(),
      });

    failWith("MISSING");
    const snapshot = await inventory().snapshot();
    assert.ok(!snapshot.hosts.has(ec2Id(5)), "a deregistered instance is not alive");
    assert.equal(snapshot.hosts.size, 229);

    failWith("ACCESS_DENIED");
    await assert.rejects(
      inventory().snapshot(),
      (err: unknown) =>
        err instanceof InventoryError &&
        /DescribeContainerInstances in ".*c0" failed for 1 instance\(s\) \(.*ci5: ACCESS_DENIED \(as ECS reported it\)\); the inventory is incomplete/.test(
          err.message,
        ),
    );
  });

  it("reads only the configured clusters, without ListClusters", async () => {
    world();
    const calls = new ApiCalls();
    await new EcsInventory({
      ecs: new ECSClient({ region: "us-east-1" }),
      clusters: [clusterArn(0)],
      calls,
    }).snapshot();
    assert.equal(calls.byOperation.ListClusters, undefined);
    assert.equal(calls.byOperation.ListTasks, 11);
  });

  it("retries a throttled page with back-off and counts every attempt", async () => {
    world();
    let throttled = 0;
    ecsMock.on(ListTasksCommand).callsFake((input) => {
      if (input.nextToken === "tok-500" && throttled++ < 2) {
        throw Object.assign(new Error("Rate exceeded"), {
          name: "ThrottlingException",
          $metadata: { httpStatusCode: 400 },
        });
      }
      const p = page(input.cluster === clusterArn(0) ? tasks.map(taskArn) : [], input);
      return { taskArns: p.items, nextToken: p.nextToken };
    });
    const calls = new ApiCalls({ maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 5 });
    const snapshot = await new EcsInventory({
      ecs: new ECSClient({ region: "us-east-1" }),
      clusters: [clusterArn(0)],
      calls,
    }).snapshot();
    assert.equal(snapshot.tasks?.size, 1_049);
    assert.equal(calls.retries, 2);
    assert.equal(calls.byOperation.ListTasks, 13);
  });

  it("refuses to page forever when a server hands back the token it was given", async () => {
    world();
    ecsMock.on(ListTasksCommand).callsFake(() => ({ taskArns: [taskArn(1)], nextToken: "again" }));
    await assert.rejects(
      new EcsInventory({
        ecs: new ECSClient({ region: "us-east-1" }),
        clusters: [clusterArn(0)],
        calls: new ApiCalls(),
      }).snapshot(),
      (err: Error) =>
        err instanceof InventoryError && /ListTasks returned the same nextToken/.test(err.message),
    );
  });
});

describe("zone paging (SDK doubles)", () => {
  let r53Mock: AwsClientStub<Route53Client>;
  before(() => {
    r53Mock = mockClient(Route53Client);
  });
  afterEach(() => r53Mock.reset());
  after(() => r53Mock.restore());

  const sets: ResourceRecordSet[] = Array.from({ length: 650 }, (_, i) => ({
    Name: `_svc._tcp.z.internal.`,
    Type: "SRV",
    SetIdentifier: `ecssd1:i-0123456789abcdef0:${i.toString(16).padStart(24, "0")}:80`,
    TTL: 10,
    ResourceRecords: [{ Value: "1 1 80 h.z.internal." }],
  }));

  it("continues each page from NextRecordName, NextRecordType and NextRecordIdentifier", async () => {
    r53Mock.on(ListResourceRecordSetsCommand).callsFake((input) => {
      const start = input.StartRecordIdentifier
        ? sets.findIndex((s) => s.SetIdentifier === input.StartRecordIdentifier)
        : 0;
      const end = start + Number(input.MaxItems ?? 300);
      const next = sets[end];
      return {
        ResourceRecordSets: sets.slice(start, end),
        IsTruncated: next !== undefined,
        MaxItems: input.MaxItems,
        ...(next && {
          NextRecordName: next.Name,
          NextRecordType: next.Type,
          NextRecordIdentifier: next.SetIdentifier,
        }),
      };
    });
    const calls = new ApiCalls();
    const read = await listRecordSets(new Route53Client({ region: "us-east-1" }), "Z1", calls);
    assert.equal(read.length, 650);
    assert.equal(calls.byOperation.ListResourceRecordSets, 3);
    const inputs = r53Mock.commandCalls(ListResourceRecordSetsCommand).map((c) => c.args[0].input);
    assert.deepEqual(
      inputs.map((i) => i.StartRecordIdentifier),
      [undefined, sets[300]?.SetIdentifier, sets[600]?.SetIdentifier],
    );
    assert.ok(inputs.every((i) => i.MaxItems === 300));
  });

  it("stops with an error when a truncated page gives no new place to continue from", async () => {
    r53Mock
      .on(ListResourceRecordSetsCommand)
      .resolves({ ResourceRecordSets: sets.slice(0, 1), IsTruncated: true });
    await assert.rejects(
      listRecordSets(new Route53Client({ region: "us-east-1" }), "Z1", new ApiCalls()),
      ZoneRecordsError,
    );
  });

  it("finds the one private zone of the name across pages, ignoring public ones", async () => {
    r53Mock
      .on(ListHostedZonesByNameCommand, { DNSName: "servicediscovery.internal" })
      .resolves({
        HostedZones: [
          {
            Id: "/hostedzone/ZPUBLIC",
            Name: "servicediscovery.internal.",
            CallerReference: "a",
            Config: { PrivateZone: false },
          },
        ],
        IsTruncated: true,
        NextDNSName: "servicediscovery.internal.",
        NextHostedZoneId: "ZPRIVATE",
      })
      .on(ListHostedZonesByNameCommand, { HostedZoneId: "ZPRIVATE" })
      .resolves({
        HostedZones: [
          {
            Id: "/hostedzone/ZPRIVATE",
            Name: "servicediscovery.internal.",
            CallerReference: "b",
            Config: { PrivateZone: true },
          },
          {
            Id: "/hostedzone/ZOTHER",
            Name: "zzz.internal.",
            CallerReference: "c",
            Config: { PrivateZone: true },
          },
        ],
        IsTruncated: true,
        NextDNSName: "zzzz.internal.",
      });
    const calls = new ApiCalls();
    assert.equal(
      await reconcilerZoneId(new Route53Client({ region: "us-east-1" }), "servicediscovery.internal", calls),
      "ZPRIVATE",
    );
    assert.equal(calls.byOperation.ListHostedZonesByName, 2);
  });

  it("asks for ECSSD_ZONE_ID when two private zones share the name", async () => {
    r53Mock.on(ListHostedZonesByNameCommand).resolves({
      HostedZones: ["ZA", "ZB"].map((id) => ({
        Id: `/hostedzone/${id}`,
        Name: "z.internal.",
        CallerReference: id,
        Config: { PrivateZone: true },
      })),
      IsTruncated: false,
    });
    await assert.rejects(
      reconcilerZoneId(new Route53Client({ region: "us-east-1" }), "z.internal", new ApiCalls()),
      (err: Error) =>
        err instanceof ZoneNotFoundError &&
        /2 private hosted zones .*ZA, ZB.*ECSSD_ZONE_ID/.test(err.message),
    );
  });
});

/** The reconciler's zone lookup: its zone port's id, with no id configured. */
function reconcilerZoneId(route53: Route53Client, zoneName: string, calls: ApiCalls): Promise<string> {
  return new Route53ReconcilerZone(route53, { zoneName }, calls).id();
}

describe("zone deletes when Route53 does not say which set it rejects (SDK doubles)", () => {
  let r53Mock: AwsClientStub<Route53Client>;
  before(() => {
    r53Mock = mockClient(Route53Client);
  });
  after(() => r53Mock.restore());

  it("halves the batch until the set that changed is alone, re-reads it and deletes it as it is now", async () => {
    const sets: RecordSet[] = Array.from({ length: 64 }, (_, i) => ({
      Name: "_svc._tcp.z.internal",
      Type: "SRV",
      SetIdentifier: `ecssd1:i-0123456789abcdef0:${i.toString(16).padStart(24, "0")}:80`,
      TTL: 10,
      MultiValueAnswer: true,
      ResourceRecords: [{ Value: `1 1 ${1000 + i} h.z.internal.` }],
    }));
    const changed = { ...sets[37]!, ResourceRecords: [{ Value: "1 1 4242 h.z.internal." }] };
    const zone = new Map<string | undefined, RecordSet>(sets.map((s) => [s.SetIdentifier, s]));
    zone.set(changed.SetIdentifier, changed);
    r53Mock.on(ChangeResourceRecordSetsCommand).callsFake((input) => {
      const batch = input.ChangeBatch.Changes.map(
        (c: { ResourceRecordSet: ResourceRecordSet }) => c.ResourceRecordSet,
      );
      const mismatch = batch.some(
        (s: ResourceRecordSet) =>
          JSON.stringify(zone.get(s.SetIdentifier)?.ResourceRecords) !== JSON.stringify(s.ResourceRecords),
      );
      if (mismatch)
        throw Object.assign(new Error("values do not match"), {
          name: "InvalidChangeBatch",
          messages: ["values do not match"],
        });
      for (const s of batch) zone.delete(s.SetIdentifier);
      return { ChangeInfo: { Id: "c", Status: "PENDING", SubmittedAt: new Date() } };
    });
    r53Mock.on(ListResourceRecordSetsCommand).callsFake((input) => ({
      ResourceRecordSets: [...zone.values()].filter((s) => s.SetIdentifier === input.StartRecordIdentifier),
      IsTruncated: false,
    }));
    const calls = new ApiCalls();

    const outcome = await deleteRecordSets(new Route53Client({ region: "us-east-1" }), "Z1", sets, calls);

    assert.equal(zone.size, 0);
    assert.equal(outcome.deleted.length, 64);
    assert.deepEqual(
      outcome.deleted.find((s) => s.SetIdentifier === changed.SetIdentifier)?.ResourceRecords,
      changed.ResourceRecords,
    );
    // 64 → 32 → 16 → 8 → 4 → 2 → 1: one rejected request per level, its good half once, then the set alone.
    assert.ok(
      (calls.byOperation.ChangeResourceRecordSets ?? 0) <= 2 * Math.log2(64) + 2,
      JSON.stringify(calls.byOperation),
    );
    assert.equal(calls.byOperation.ListResourceRecordSets, 1);
  });
});
