// A ZoneChanges with no coalescing: every submit is its own ChangeResourceRecordSets, every read lists the
// names. Enough to hold a TaskZone over the coalescer's port to the registrar's contract; the coalescer itself
// replaces it where batching is what is shown.
import type { Route53Client } from "@aws-sdk/client-route-53";
import type { RecordChange, ZoneChanges } from "../../../coalescer/zoneChanges";
import { canonicalName, isOwnType, type RecordSet } from "../../../records";
import { changeRecordSets } from "../../../route53/changeRecordSets";
import { translateError } from "../../../route53/errorClass";
import { recordSetPages } from "../../../route53/recordSetPages";

export class DirectZoneChanges implements ZoneChanges {
  /** Submits received, by origin. */
  readonly origins: string[] = [];

  constructor(
    private readonly route53: Route53Client,
    private readonly zoneId: string,
  ) {}

  hostRecordSets(): Promise<RecordSet[]> {
    throw new Error("not used by the registrar");
  }

  async readNames(names: readonly string[]): Promise<RecordSet[]> {
    const out: RecordSet[] = [];
    for (const name of new Set(names.map(canonicalName))) {
      for await (const rs of recordSetPages(this.route53, this.zoneId, { start: { name } })) {
        if (canonicalName(rs.Name) !== name) break;
        if (isOwnType(rs)) out.push(rs);
      }
    }
    return out;
  }

  async submit(origin: string, changes: readonly RecordChange[]): Promise<void> {
    this.origins.push(origin);
    try {
      await changeRecordSets(this.route53, this.zoneId, changes, `test: ${origin}`);
    } catch (err) {
      throw translateError(err);
    }
  }
}
