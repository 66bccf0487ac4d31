// The coalescer's port over the local zone, one Route53 request per call, for testing the HTTP edge alone:
// the agent's own Route53 adapter behind the port, so every answer is the real zone's.
import { Route53Zone } from "../../../agent/route53Zone";
import type { ZoneChanges } from "../../../coalescer/zoneChanges";
import type { LocalZone } from "../../../local/zone";
import { route53For } from "../../kit/awsClients";

export function zoneChangesOver(zone: LocalZone): ZoneChanges & {
  status(): { zoneId: string; zoneName: string };
  close(): void;
} {
  const client = route53For(zone);
  const writer = new Route53Zone(client, zone.hostedZoneId);
  return {
    hostRecordSets: (hostId, deployment) => writer.listHostRecordSets(hostId, deployment),
    readNames: (names) => writer.readNames([...names]),
    submit: (_origin, changes) => writer.change([...changes]),
    status: () => ({ zoneId: zone.hostedZoneId, zoneName: zone.zoneName }),
    close: () => client.destroy(),
  };
}
