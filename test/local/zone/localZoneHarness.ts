// Shared by the local zone tests: an SDK client bound to a local zone, and `dig` with its
// output parsed into sections, so DNS behaviour is checked by a resolver we did not write.
import {
  type Change,
  ChangeResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from "@aws-sdk/client-route-53";
import type { LocalZone } from "../../../local/zone";

// The SDK warns once per process about Node 20 support; the warning is not about our code.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export function route53For(zone: LocalZone, maxAttempts = 1): Route53Client {
  return new Route53Client({
    endpoint: zone.apiUrl,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts,
  });
}

export function fqdn(zone: LocalZone, label: string): string {
  return `${label}.${zone.zoneName}.`;
}

export async function change(client: Route53Client, zone: LocalZone, changes: Change[]): Promise<void> {
  await client.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zone.hostedZoneId,
      ChangeBatch: { Changes: changes },
    }),
  );
}

export function srvSet(
  name: string,
  id: string,
  value: string,
  extra: Partial<ResourceRecordSet> = {},
): ResourceRecordSet {
  return {
    Name: name,
    Type: "SRV",
    SetIdentifier: id,
    MultiValueAnswer: true,
    TTL: 10,
    ResourceRecords: [{ Value: value }],
    ...extra,
  };
}

export function aSet(name: string, ip: string, ttl = 60): ResourceRecordSet {
  return { Name: name, Type: "A", TTL: ttl, ResourceRecords: [{ Value: ip }] };
}

/** Sends `fn`'s promise and returns the error it rejects with (fails when it resolves). */
export async function rejection(
  p: Promise<unknown>,
): Promise<Error & { name: string; messages?: string[]; $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as never;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

export { type DigRecord, type DigResult, dig, parseDig } from "../../kit/dig";
