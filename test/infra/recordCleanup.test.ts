// pulumi destroy in a zone the stack did not create: which record sets are ours (a table), and the cleanup's
// delete, serialized the way Pulumi stores it and run against the local zone, where foreign record sets
// sit among ours and must survive.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { ownRecordSets } from "../../infra/ownRecordRemoval";
import { recordCleanupProvider, recordRemovalCode } from "../../infra/recordCleanup";
import { type LocalZone, startLocalZone } from "../../local/zone";
import {
  agentCheckMarker,
  availabilityZoneRecordSet,
  hostRecordSet,
  instanceRecordSet,
  type RecordSet,
  recordSetKey,
  taskAddressRecordSet,
  taskInstanceRecordSet,
  type ZoneRecordSet,
} from "../../records";
import { changeRecordSets, listZoneRecordSets, route53Client } from "../../route53";

const ZONE = "servicediscovery.internal";
const CONTAINER = "0123456789abcdef01234567";

function unwrap(result: { recordSet: RecordSet } | { problems: unknown[] }): RecordSet {
  if ("problems" in result) throw new Error(JSON.stringify(result.problems));
  return result.recordSet;
}

function instance(
  hostId: string,
  port: number,
  container = CONTAINER,
  taskId?: string,
  service = "calc",
): RecordSet {
  return unwrap(
    instanceRecordSet({
      zone: ZONE,
      hostId,
      containerId: container,
      ...(taskId && { taskId }),
      hostPort: 32768 + (port % 1000),
      service: {
        containerPort: port,
        service,
        protocol: "tcp",
        srvName: `_${service}._tcp`,
        priority: 1,
        weight: 1,
      },
    }),
  );
}
const host = (hostId: string) => unwrap(hostRecordSet({ zone: ZONE, hostId, address: "10.0.1.7" }));
const AWSVPC_TASK = "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";
/** The registrar's sets of an awsvpc task: its A record and the SRV record of one port. */
const taskSets = (): RecordSet[] => [
  unwrap(taskAddressRecordSet({ zone: ZONE, taskId: AWSVPC_TASK, address: "10.0.1.23" })),
  unwrap(
    taskInstanceRecordSet({
      zone: ZONE,
      taskId: AWSVPC_TASK,
      service: {
        containerPort: 8080,
        service: "time",
        protocol: "tcp",
        srvName: "_time._tcp",
        priority: 1,
        weight: 1,
      },
    }),
  ),
];

/** Record sets somebody else wrote, some of them close to ours. */
const FOREIGN: ZoneRecordSet[] = [
  {
    Name: `_calc._tcp.${ZONE}`,
    Type: "SRV",
    TTL: 30,
    SetIdentifier: "blue",
    MultiValueAnswer: true,
    ResourceRecords: [{ Value: "1 1 80 legacy.example." }],
  },
  { Name: `www.${ZONE}`, Type: "A", TTL: 300, SetIdentifier: "", ResourceRecords: [{ Value: "10.0.9.9" }] },
  // Looks like a host identifier but sits on a CNAME: we never write CNAMEs.
  {
    Name: `db.${ZONE}`,
    Type: "CNAME",
    TTL: 300,
    SetIdentifier: "",
    ResourceRecords: [{ Value: "db.example.com" }],
  },
  {
    Name: `note.${ZONE}`,
    Type: "TXT",
    TTL: 300,
    SetIdentifier: "",
    ResourceRecords: [{ Value: '"ecssd1 check=agent kind=http"' }],
  },
];

/** The AZ set beside an A set, as its writer makes it. */
function azSet(address: RecordSet): RecordSet {
  const built = availabilityZoneRecordSet(address, "use1-az4");
  if ("problems" in built) throw new Error(JSON.stringify(built.problems));
  return built.recordSet;
}

describe("record cleanup: which record sets are ours", () => {
  const cases: [label: string, set: ZoneRecordSet, ours: boolean][] = [
    ["an instance's SRV set", instance("i-0abc", 8080), true],
    ["an ECS task's SRV set", instance("i-0abc", 8081, CONTAINER, "0f1e2d3c4b5a69788796a5b4c3d2e1f0"), true],
    ["a host's A set", host("i-0abc"), true],
    ["an awsvpc task's A set (the registrar's)", taskSets()[0] as RecordSet, true],
    ["an awsvpc task's SRV set (the registrar's)", taskSets()[1] as RecordSet, true],
    ["an agent's TXT health marker", agentCheckMarker(instance("i-0abc", 8080), "http"), true],
    ["a host's AZ set", azSet(host("i-0abc")), true],
    ["an awsvpc task's AZ set (the registrar's)", azSet(taskSets()[0] as RecordSet), true],
    ...FOREIGN.map((set): [string, ZoneRecordSet, boolean] => [
      `foreign ${set.Type} ${set.Name}`,
      set,
      false,
    ]),
    [
      "an A set carrying an instance's identifier",
      { ...host("i-0abc"), SetIdentifier: instance("i-0abc", 8080).SetIdentifier },
      false,
    ],
    [
      "an SRV set carrying a host's identifier",
      { ...instance("i-0abc", 8080), SetIdentifier: "ecssd1:i-0abc" },
      false,
    ],
    [
      "an alias carrying a host's identifier",
      {
        ...host("i-0abc"),
        TTL: 0,
        ResourceRecords: [],
        AliasTarget: { HostedZoneId: "Z2", DNSName: "lb.example.", EvaluateTargetHealth: false },
      },
      false,
    ],
    [
      "an identifier of a later format",
      { ...instance("i-0abc", 8080), SetIdentifier: `ecssd2:i-0abc:${CONTAINER}:8080` },
      false,
    ],
    [
      "the zone's NS set",
      { Name: ZONE, Type: "NS", TTL: 172800, SetIdentifier: "", ResourceRecords: [{ Value: "ns.local." }] },
      false,
    ],
  ];
  for (const [label, set, ours] of cases) {
    it(`${ours ? "removes" : "keeps"} ${label}`, () => {
      assert.deepEqual(ownRecordSets([set]), ours ? [set] : []);
    });
  }
});

describe("record cleanup: pulumi destroy against the local zone", function () {
  this.timeout(60_000);
  let zone: LocalZone;
  before(async () => {
    zone = await startLocalZone({ zoneName: ZONE });
  });
  after(() => zone.close());

  it("deletes every record set our writers made, across batches, and leaves every foreign one", async () => {
    const client = route53Client({ endpoint: zone.apiUrl });
    // 1,100 instances: more than one change batch holds; 12 services, as Route53 keeps 100 sets per name.
    const ours: RecordSet[] = [host("i-0abc"), host("i-0def")];
    for (let i = 0; i < 1100; i++) {
      const container = (BigInt(`0x${CONTAINER}`) + BigInt(i)).toString(16).padStart(24, "0");
      ours.push(instance(i % 2 ? "i-0abc" : "i-0def", 8080, container, undefined, `svc${i % 12}`));
    }
    ours.push(agentCheckMarker(ours[2] as RecordSet, "http"), ...taskSets());
    for (let i = 0; i < ours.length; i += 500) {
      const batch = ours.slice(i, i + 500).map((recordSet) => ({ action: "CREATE" as const, recordSet }));
      await changeRecordSets(client, zone.hostedZoneId, batch, "test: our writers");
    }
    const foreign = FOREIGN.map((recordSet) => ({ action: "CREATE" as const, recordSet }));
    await changeRecordSets(client, zone.hostedZoneId, foreign, "test: someone else");
    const before = await listZoneRecordSets(client, zone.hostedZoneId);

    // Prepare the delete as Pulumi does: the provider serialized, then loaded apart from this module.
    // (A local binding, as in pulumi.dynamic.Resource: an imported one would capture the whole module.)
    const underTest = recordCleanupProvider;
    const serialized = await pulumi.runtime.serializeFunction(() => underTest);
    const loaded: { exports: Record<string, () => pulumi.dynamic.ResourceProvider> } = { exports: {} };
    new Function("module", "exports", "require", serialized.text)(loaded, loaded.exports, require);
    const provider = loaded.exports[serialized.exportName]?.();
    assert.ok(provider?.delete);
    await provider.delete("cleanup", {
      zoneId: zone.hostedZoneId,
      endpoint: zone.apiUrl,
      code: recordRemovalCode(),
    });

    const after = await listZoneRecordSets(client, zone.hostedZoneId);
    const keys = (sets: ZoneRecordSet[]) => sets.map(recordSetKey).sort();
    const ourKeys = new Set(ours.map(recordSetKey));
    assert.deepEqual(keys(after), keys(before.filter((s) => !ourKeys.has(recordSetKey(s)))));
    for (const set of FOREIGN) assert.ok(keys(after).includes(recordSetKey(set)), recordSetKey(set));
    // Three batches wrote ours, one the foreign sets; the cleanup needs at least two for 1,105 sets.
    assert.ok((zone.stats().ChangeResourceRecordSets ?? 0) >= 3 + 1 + 2, "deleted in more than one batch");
    client.destroy();
  });

  it("leaves a zone without our record sets untouched", async () => {
    const client = route53Client({ endpoint: zone.apiUrl });
    const before = await listZoneRecordSets(client, zone.hostedZoneId);
    const changesBefore = zone.stats().ChangeResourceRecordSets ?? 0;
    await recordCleanupProvider.delete?.("cleanup", {
      zoneId: zone.hostedZoneId,
      endpoint: zone.apiUrl,
      code: recordRemovalCode(),
    });
    assert.deepEqual(await listZoneRecordSets(client, zone.hostedZoneId), before);
    assert.equal(zone.stats().ChangeResourceRecordSets ?? 0, changesBefore);
    client.destroy();
  });
});
