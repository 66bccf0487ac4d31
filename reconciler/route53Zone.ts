// The zone port over Route53's API: the functions of zoneRecords.ts, with the zone id from the edge's one
// cached lookup (the configured id, or the private zone found by name), and every request counted in the
// run's AwsCall.
import type { Route53Client } from "@aws-sdk/client-route-53";
import type { RecordSet, ZoneRecordSet } from "../records";
import type { AwsCall } from "../route53/awsCall";
import type { RecordSetUsage } from "../route53/recordSetQuota";
import { hostedZoneRecordSetUsage } from "../route53/recordSetUsage";
import { type ZoneRef, zoneIdCache } from "../route53/zoneLookup";
import type { ReconcilerZone, ZoneDeleteOutcome, ZoneMarkerOutcome } from "./reconcilerZone";
import * as zoneRecords from "./zoneRecords";

export class Route53ReconcilerZone implements ReconcilerZone {
  readonly id: () => Promise<string>;

  constructor(
    private readonly route53: Route53Client,
    zone: ZoneRef,
    private readonly calls: AwsCall,
  ) {
    this.id = zoneIdCache(route53, zone, calls.call);
  }

  async listRecordSets(): Promise<ZoneRecordSet[]> {
    return zoneRecords.listRecordSets(this.route53, await this.id(), this.calls);
  }

  async deleteRecordSets(
    sets: readonly ZoneRecordSet[],
    stillDelete: (current: ZoneRecordSet, original: ZoneRecordSet) => boolean,
  ): Promise<ZoneDeleteOutcome> {
    return zoneRecords.deleteRecordSets(this.route53, await this.id(), sets, this.calls, { stillDelete });
  }

  async writeMarkers(markers: readonly RecordSet[]): Promise<ZoneMarkerOutcome> {
    return zoneRecords.upsertMarkers(this.route53, await this.id(), markers, this.calls);
  }

  async recordSetUsage(): Promise<RecordSetUsage> {
    return hostedZoneRecordSetUsage(this.route53, await this.id(), this.calls.call);
  }
}
