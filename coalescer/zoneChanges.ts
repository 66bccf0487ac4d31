// The coalescer's port: what its callers (the HTTP API the agents talk to, the task events it applies for the
// registrar, the benches) may ask of it. One implementation, coalescer.ts; the port keeps the edges from
// depending on how it batches.

import type { RecordChange } from "../agent/zoneWriter";
import type { RecordSet } from "../records";

export type { RecordChange };

export interface ZoneChanges {
  /**
   * Every record set of the zone whose SetIdentifier names `hostId` as its owner (of `deployment`, or
   * unattributed: records/ownedByHost), from the coalescer's copy of the zone: no request to Route53.
   */
  hostRecordSets(hostId: string, deployment?: string): Promise<RecordSet[]>;
  /** Every record set (of our own types, any owner) with one of these names, from the coalescer's copy. */
  readNames(names: readonly string[]): Promise<RecordSet[]>;
  /**
   * Applies `changes` all together or not at all, in a request shared with other submitters' changes.
   * Resolves once Route53 accepted them (or the coalescer's copy shows them already made). Rejects with
   * InvalidChangeBatchError (route53/errors.ts) when they are refused as they stand, after the coalescer
   * re-read their names; a busy zone is waited out, never passed back. `origin` names the submitter in logs
   * (a host id, `task:<id>`). A submitter that stops waiting aborts `signal`: its changes are taken back
   * unless they are already on their way (the promise then rejects with ZoneBusyError).
   */
  submit(origin: string, changes: readonly RecordChange[], signal?: AbortSignal): Promise<void>;
}
