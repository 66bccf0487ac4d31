// A hosted zone to reconcile, on moto's server or the local zone, filled and read back through the real
// Route53 SDK client (independently of the reconciler's own zone code).
import {
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from "@aws-sdk/client-route-53";
import { recordSetKey } from "../../../records";
import { ZONE } from "../../kit/recordFixtures";

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

export { route53Client } from "../../kit/awsClients";
export { foreignSets, hostA, ZONE } from "../../kit/recordFixtures";
export { createSets, deleteSets } from "../../kit/zoneSeeding";
export { recordSetKey };
