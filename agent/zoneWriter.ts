// The zone edge the core owns: read this host's record sets, apply a batch of changes. route53Zone.ts
// implements it over the Route53 API; the errors below are the only ones the core tells apart.
import type { RecordSet } from "../records";

export type ChangeAction = "CREATE" | "UPSERT" | "DELETE";

export interface RecordChange {
  action: ChangeAction;
  recordSet: RecordSet;
}

export interface ZoneWriter {
  /** Every record set in the zone whose SetIdentifier names `hostId` as its owner (all pages). */
  listHostRecordSets(hostId: string): Promise<RecordSet[]>;
  /** Every record set with one of these names (any owner), for rebuilding a rejected batch. */
  readNames(names: string[]): Promise<RecordSet[]>;
  /** Applies the changes atomically (all or none). */
  change(changes: RecordChange[]): Promise<void>;
}

/** Worth retrying after a pause: Throttling, PriorRequestNotComplete, 5xx, network errors. */
export class ZoneBusyError extends Error {
  override name = "ZoneBusyError";
  constructor(
    message: string,
    /** True for Throttling and PriorRequestNotComplete (counted apart from failures). */
    readonly throttled: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The zone rejected the batch as it stands (e.g. deleting a record set that is already gone). */
export class InvalidChangeBatchError extends Error {
  override name = "InvalidChangeBatchError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
