// How full the zone is: GetHostedZoneLimit MAX_RRSETS_BY_ZONE, the zone's record sets (Count) against its
// quota (Limit.Value), the figures the record-set quota's warning and gauges show.
import { GetHostedZoneLimitCommand, type Route53Client } from "@aws-sdk/client-route-53";
import { type Route53Call, sendOnce } from "./call";
import { ZoneRecordsError } from "./errors";
import type { RecordSetUsage } from "./recordSetQuota";

/** The zone's record sets against its quota, one request through the caller's `call`. */
export async function hostedZoneRecordSetUsage(
  client: Route53Client,
  zoneId: string,
  call: Route53Call = sendOnce,
): Promise<RecordSetUsage> {
  const out = await call("GetHostedZoneLimit", () =>
    client.send(new GetHostedZoneLimitCommand({ HostedZoneId: zoneId, Type: "MAX_RRSETS_BY_ZONE" })),
  );
  const used = out.Count;
  const limit = out.Limit?.Value;
  if (typeof used !== "number" || typeof limit !== "number") {
    throw new ZoneRecordsError(
      `GetHostedZoneLimit MAX_RRSETS_BY_ZONE of zone ${zoneId} gave no Count or Limit`,
    );
  }
  return { used, limit };
}
