// The zone edge the core owns: read this host's record sets, apply a batch of changes. route53Zone.ts
// implements it over the Route53 edge (route53/); the errors below are the only ones the core tells apart.
// They are the edge's own classes (route53/errors.ts imports no SDK), so the adapter needs no mapping.
import type { RecordSet } from "../records";
import type { ChangeAction } from "../route53/changeBatches";

/** ZoneBusyError: worth retrying after a pause. InvalidChangeBatchError: the batch as it stands is refused. */
export { InvalidChangeBatchError, ZoneBusyError } from "../route53/errors";
export type { ChangeAction };

export interface RecordChange {
  action: ChangeAction;
  recordSet: RecordSet;
}

export interface ZoneWriter {
  /**
   * Every record set in the zone whose SetIdentifier names `hostId` as its owner (all pages), of `deployment`
   * or unattributed (records/ownedByHost).
   */
  listHostRecordSets(hostId: string, deployment?: string): Promise<RecordSet[]>;
  /** Every record set with one of these names (any owner), for rebuilding a rejected batch. */
  readNames(names: string[]): Promise<RecordSet[]>;
  /** Applies the changes atomically (all or none). */
  change(changes: RecordChange[]): Promise<void>;
}
