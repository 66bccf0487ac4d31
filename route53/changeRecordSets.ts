// One ChangeResourceRecordSets request: Route53 applies the batch all or nothing.
import { ChangeResourceRecordSetsCommand, type Route53Client } from "@aws-sdk/client-route-53";
import type { ZoneRecordSet } from "../records";
import { type Route53Call, sendOnce } from "./call";
import type { ChangeAction } from "./changeBatches";
import { toRoute53 } from "./recordSetShape";

export interface ZoneChange {
  action: ChangeAction;
  recordSet: ZoneRecordSet;
}

/** Sends the changes as one batch; `comment` says who changed the zone and why. */
export async function changeRecordSets(
  client: Route53Client,
  zoneId: string,
  changes: readonly ZoneChange[],
  comment: string,
  call: Route53Call = sendOnce,
): Promise<void> {
  await call("ChangeResourceRecordSets", () =>
    client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Comment: comment,
          Changes: changes.map((c) => ({ Action: c.action, ResourceRecordSet: toRoute53(c.recordSet) })),
        },
      }),
    ),
  );
}
