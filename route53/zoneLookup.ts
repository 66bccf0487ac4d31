// The private hosted zone of a name (ListHostedZonesByName), following pages: zones come sorted by name
// from where we start, so the lookup stops at the first zone past ours.
import {
  ListHostedZonesByNameCommand,
  type ListHostedZonesByNameCommandOutput,
  type Route53Client,
} from "@aws-sdk/client-route-53";
import { canonicalName } from "../records";
import { type Route53Call, sendOnce } from "./call";
import { ZoneNotFoundError } from "./errors";

/** `/hostedzone/Z123` → `Z123`. */
export function stripZoneId(id: string): string {
  return id.replace(/^\/?hostedzone\//, "");
}

/**
 * The id of the one private hosted zone called `zoneName`. Fails with a message that says what to do when
 * there is none, only a public one, or several. Retries are the caller's, through `call`.
 */
export async function findPrivateZoneId(
  client: Route53Client,
  zoneName: string,
  call: Route53Call = sendOnce,
): Promise<string> {
  const wanted = canonicalName(zoneName);
  const privates: string[] = [];
  let publics = 0;
  let dnsName: string | undefined = wanted;
  let hostedZoneId: string | undefined;
  for (let pages = 0; dnsName !== undefined && pages < 100; pages++) {
    const name: string = dnsName;
    const id: string | undefined = hostedZoneId;
    const page: ListHostedZonesByNameCommandOutput = await call("ListHostedZonesByName", () =>
      client.send(new ListHostedZonesByNameCommand({ DNSName: name, HostedZoneId: id, MaxItems: 100 })),
    );
    let passed = false;
    for (const z of page.HostedZones ?? []) {
      if (canonicalName(z.Name ?? "") !== wanted) {
        passed = true;
        break;
      }
      if (z.Config?.PrivateZone && z.Id) privates.push(stripZoneId(z.Id));
      else publics++;
    }
    if (passed || !page.IsTruncated) break;
    dnsName = page.NextDNSName;
    hostedZoneId = page.NextHostedZoneId;
  }
  if (privates.length === 1) return privates[0] as string;
  if (privates.length > 1) {
    throw new ZoneNotFoundError(
      `${privates.length} private hosted zones are named "${wanted}" (${privates.join(", ")}); set ECSSD_ZONE_ID to choose one`,
    );
  }
  throw new ZoneNotFoundError(
    publics > 0
      ? `no private hosted zone named "${wanted}": the hosted zone of that name is public, and records are written only to a private hosted zone; create a private one or set ECSSD_ZONE_ID`
      : `no private hosted zone named "${wanted}"; create it or set ECSSD_ZONE_ID`,
  );
}

/** Which hosted zone: its id when configured, else the private zone of this name. */
export interface ZoneRef {
  readonly zoneName: string;
  readonly zoneId?: string | undefined;
}

/**
 * The zone's id, looked up at most once per cache: the configured id as is, else {@link findPrivateZoneId}
 * through `call`. A lookup that failed is not kept, so the next ask looks again: a registrar lives across
 * many events and must not be stuck on one throttled start, and a reconcile run asks once and fails with it.
 */
export function zoneIdCache(
  client: Route53Client,
  zone: ZoneRef,
  call: Route53Call = sendOnce,
): () => Promise<string> {
  if (zone.zoneId !== undefined) {
    const id = Promise.resolve(zone.zoneId);
    return () => id;
  }
  let cached: Promise<string> | undefined;
  return () => {
    if (cached) return cached;
    const lookup = findPrivateZoneId(client, zone.zoneName, call);
    cached = lookup;
    lookup.catch(() => {
      if (cached === lookup) cached = undefined;
    });
    return lookup;
  };
}
