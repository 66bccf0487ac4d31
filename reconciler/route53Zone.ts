// The zone port over Route53's API: the functions of zoneRecords.ts, with the zone id looked up once by name
// when it is not configured, and every request counted in the run's ApiCalls.
import type { Route53Client } from "@aws-sdk/client-route-53";
import type { RecordSet, ZoneRecordSet } from "../records";
import type { ApiCalls } from "./apiCalls";
import type { ReconcilerZone, ZoneDeleteOutcome } from "./reconcilerZone";
import * as zoneRecords from "./zoneRecords";

export class Route53ReconcilerZone implements ReconcilerZone {
  private zoneId: Promise<string> | undefined;

  constructor(
    private readonly route53: Route53Client,
    private readonly zone: { readonly zoneName: string; readonly zoneId?: string },
    private readonly calls: ApiCalls,
  ) {}

  id(): Promise<string> {
    this.zoneId ??=
      this.zone.zoneId !== undefined
        ? Promise.resolve(this.zone.zoneId)
        : zoneRecords.findPrivateZoneId(this.route53, this.zone.zoneName, this.calls);
    return this.zoneId;
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

  async replaceWithVerdicts(
    changes: readonly { readonly set: RecordSet; readonly marker: RecordSet }[],
    stillDelete: (current: ZoneRecordSet, original: ZoneRecordSet) => boolean,
  ): Promise<ZoneDeleteOutcome> {
    return zoneRecords.replaceWithVerdicts(this.route53, await this.id(), changes, this.calls, {
      stillDelete,
    });
  }
}
