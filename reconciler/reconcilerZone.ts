// The zone port the core owns: find the zone, read its record sets, delete some, write verdict markers. route53Zone.ts implements it
// over Route53's API; the core sees only the project's record model.
import type { RecordSet, ZoneRecordSet } from "../records";
import type { RecordSetUsage } from "../route53/recordSetQuota";

/** What became of each record set the core asked to delete. */
export interface ZoneDeleteOutcome {
  /** Deleted, as read or as re-read after it changed. */
  readonly deleted: readonly ZoneRecordSet[];
  /** Gone before we got to it (someone else deleted it): nothing to do. */
  readonly vanished: readonly ZoneRecordSet[];
  /** Changed meanwhile in a way that no longer warrants deleting it, per `stillDelete`. */
  readonly keptAfterChange: readonly ZoneRecordSet[];
  /** Could not be deleted; each with the reason. */
  readonly failed: readonly { readonly set: ZoneRecordSet; readonly error: string }[];
}

/** What became of each verdict marker the core asked to write. */
export interface ZoneMarkerOutcome {
  readonly written: readonly ZoneRecordSet[];
  readonly failed: readonly { readonly set: ZoneRecordSet; readonly error: string }[];
  /** The zone refused markers for its record-set quota ("Records per hosted zone"). */
  readonly zoneFull?: boolean;
}

export interface ReconcilerZone {
  /** The hosted zone's id: the configured one, or the private zone found by name. Throws when there is none. */
  id(): Promise<string>;
  /** Every record set of the zone, ours or not (all pages). Throws rather than return part of the zone. */
  listRecordSets(): Promise<ZoneRecordSet[]>;
  /**
   * Deletes record sets exactly as they were read. A set that changed meanwhile is re-read and goes only when
   * `stillDelete(current, original)` says so; a failure of some sets never stops the rest.
   */
  deleteRecordSets(
    sets: readonly RecordSet[],
    stillDelete: (current: ZoneRecordSet, original: ZoneRecordSet) => boolean,
  ): Promise<ZoneDeleteOutcome>;
  /**
   * Writes (UPSERTs) verdict markers, in requests that hold nothing else: the only writes the reconciler's
   * role allows. A failure of some never stops the rest.
   */
  writeMarkers(markers: readonly RecordSet[]): Promise<ZoneMarkerOutcome>;
  /** The zone's record sets against its quota (GetHostedZoneLimit), for the quota's warning; absent: unknown. */
  recordSetUsage?(): Promise<RecordSetUsage>;
}
