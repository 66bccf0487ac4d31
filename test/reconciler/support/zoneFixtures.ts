// A hosted zone to reconcile, on moto's server or the local zone, filled and read back through the real
// Route53 SDK client (independently of the reconciler's own zone code).
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { hostRecordSet, type RecordSet, recordSetKey } from "../../../records";

export const ZONE = "servicediscovery.internal";
const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };

export function route53Client(endpoint: string): Route53Client {
  return new Route53Client({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
}

/** Creates a private hosted zone and returns its id (without `/hostedzone/`). */
export async function createPrivateZone(route53: Route53Client, name = ZONE): Promise<string> {
  const out = await route53.send(
    new CreateHostedZoneCommand({
      Name: name,
      CallerReference: `test-${Date.now()}-${Math.random()}`,
      HostedZoneConfig: { PrivateZone: true, Comment: "reconciler test" },
      VPC: { VPCRegion: "us-east-1", VPCId: "vpc-12345678" },
    }),
  );
  const id = out.HostedZone?.Id;
  if (!id) throw new Error("CreateHostedZone returned no id");
  return id.replace(/^\/?hostedzone\//, "");
}

/** Sends one action for every set, in batches small enough for Route53's 32,000-character limit. */
async function changeSets(
  route53: Route53Client,
  zoneId: string,
  action: "CREATE" | "DELETE",
  sets: readonly ResourceRecordSet[],
): Promise<void> {
  for (let i = 0; i < sets.length; i += 400) {
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: sets.slice(i, i + 400).map((s) => ({ Action: action, ResourceRecordSet: s })),
        },
      }),
    );
  }
}

/** Writes record sets with CREATE. */
export function createSets(
  route53: Route53Client,
  zoneId: string,
  sets: readonly ResourceRecordSet[],
): Promise<void> {
  return changeSets(route53, zoneId, "CREATE", sets);
}

/** Deletes record sets exactly as given (as read from the zone). */
export function deleteSets(
  route53: Route53Client,
  zoneId: string,
  sets: readonly ResourceRecordSet[],
): Promise<void> {
  return changeSets(route53, zoneId, "DELETE", sets);
}

/** Every record set of the zone, keyed by name|type|SetIdentifier. */
export async function readZone(
  route53: Route53Client,
  zoneId: string,
): Promise<Map<string, ResourceRecordSet>> {
  const out = new Map<string, ResourceRecordSet>();
  let start: { StartRecordName?: string; StartRecordType?: never; StartRecordIdentifier?: string } = {};
  for (let page = 0; page < 1_000; page++) {
    const r = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, ...start }));
    for (const s of r.ResourceRecordSets ?? []) out.set(recordSetKey(s), s);
    if (!r.IsTruncated) return out;
    start = {
      StartRecordName: r.NextRecordName,
      StartRecordType: r.NextRecordType as never,
      StartRecordIdentifier: r.NextRecordIdentifier,
    };
  }
  throw new Error("zone listing did not end within 1,000 pages");
}

export function hostA(hostId: string, address = "127.0.0.1", zone = ZONE): RecordSet {
  const r = hostRecordSet({ zone, hostId, address });
  if ("problems" in r) throw new Error(JSON.stringify(r.problems));
  return r.recordSet;
}

/** Record sets somebody else wrote: no SetIdentifier, one that is not ours, and our prefix on a type we never write. */
export function foreignSets(zone = ZONE): ResourceRecordSet[] {
  return [
    { Name: `legacy.${zone}`, Type: "A", TTL: 300, ResourceRecords: [{ Value: "10.0.0.9" }] },
    {
      Name: `_calc._tcp.${zone}`,
      Type: "SRV",
      TTL: 10,
      SetIdentifier: "registrator:host1:calc:8080",
      MultiValueAnswer: true,
      ResourceRecords: [{ Value: `1 1 8080 legacy.${zone}` }],
    },
    {
      Name: `_calc._tcp.${zone}`,
      Type: "SRV",
      TTL: 10,
      SetIdentifier: "ecssd1:NOT A HOST:zz:0",
      MultiValueAnswer: true,
      ResourceRecords: [{ Value: `1 1 8081 legacy.${zone}` }],
    },
    {
      Name: `notes.${zone}`,
      Type: "TXT",
      TTL: 300,
      SetIdentifier: "ecssd1:i-0deadbeef0000dead",
      MultiValueAnswer: true,
      ResourceRecords: [{ Value: '"written by hand"' }],
    },
  ];
}

export { recordSetKey };
