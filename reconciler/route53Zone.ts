// The zone port over Route53's API: the functions of zoneRecords.ts, with the zone id looked up once by name
// when it is not configured, and every request counted in the run's ApiCalls.
import type { Route53Client } from "@aws-sdk/client-route-53";
import type { RecordSet } from "../records";
import type { ApiCalls } from "./apiCalls";
import type { ReconcilerZone, ZoneDeleteOutcome } from "./reconcilerZone";
import * as zoneRecords from "./zoneRecords";

// edge merge: zoneRecords returns records' RecordSet once route53/ lands
// Until then it speaks the SDK's ResourceRecordSet, which has the same fields: read its sets as ours here.
const edge = zoneRecords as {
  findPrivateZoneId: typeof zoneRecords.findPrivateZoneId;
  listRecordSets(route53: Route53Client, zoneId: string, calls: ApiCalls): Promise<RecordSet[]>;
  deleteRecordSets(
    route53: Route53Client,
    zoneId: string,
    sets: readonly RecordSet[],
    calls: ApiCalls,
    options: { stillDelete?: (current: RecordSet, original: RecordSet) => boolean },
  ): Promise<ZoneDeleteOutcome>;
};

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
        : edge.findPrivateZoneId(this.route53, this.zone.zoneName, this.calls);
    return this.zoneId;
  }

  async listRecordSets(): Promise<RecordSet[]> {
    return edge.listRecordSets(this.route53, await this.id(), this.calls);
  }

  async deleteRecordSets(
    sets: readonly RecordSet[],
    stillDelete: (current: RecordSet, original: RecordSet) => boolean,
  ): Promise<ZoneDeleteOutcome> {
    return edge.deleteRecordSets(this.route53, await this.id(), sets, this.calls, { stillDelete });
  }
}
