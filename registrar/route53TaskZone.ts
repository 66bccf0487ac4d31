// The registrar's TaskZone over Route53, through the one edge (route53/): one all-or-nothing change per call,
// exact deletes by the edge's deleteExactly, and reads that start at a name and stop when the name changes (a
// task's sets are found without listing the zone). Every request goes through the caller's counting,
// retrying `call`.
import type { Route53Client } from "@aws-sdk/client-route-53";
import { canonicalName, type RecordSet } from "../records";
import type { Route53Call } from "../route53/call";
import { changeRecordSets } from "../route53/changeRecordSets";
import { deleteExactly } from "../route53/exactDeletes";
import { recordSetPages } from "../route53/recordSetPages";
import type { TaskZone } from "./registrar";
import { isTaskSet } from "./taskSets";

export class Route53TaskZone implements TaskZone {
  constructor(
    private readonly route53: Route53Client,
    private readonly zoneId: () => Promise<string>,
    private readonly call: Route53Call,
    /** Its deployment's mark (ECSSD_DEPLOYMENT): another deployment's sets of a task are never its own. */
    private readonly deployment?: string,
  ) {}

  async upsert(sets: readonly RecordSet[]): Promise<void> {
    const zoneId = await this.zoneId();
    const changes = sets.map((recordSet) => ({ action: "UPSERT" as const, recordSet }));
    await changeRecordSets(this.route53, zoneId, changes, "ecssd registrar: task running", this.call);
  }

  async deleteExactly(sets: readonly RecordSet[]): Promise<boolean> {
    const zoneId = await this.zoneId();
    // A rejection is not settled here: the core reads the task's sets at their names and deletes those.
    const outcome = await deleteExactly(
      this.route53,
      zoneId,
      sets.map((set) => ({ set })),
      { comment: "ecssd registrar: task stopping", call: this.call },
    );
    return outcome.failed.length === 0;
  }

  async taskSets(names: readonly string[], taskId: string): Promise<RecordSet[]> {
    const zoneId = await this.zoneId();
    const out: RecordSet[] = [];
    for (const name of names) {
      for await (const rs of recordSetPages(this.route53, zoneId, { start: { name }, call: this.call })) {
        if (canonicalName(rs.Name) !== canonicalName(name)) break;
        if (isTaskSet(rs, taskId, this.deployment)) out.push(rs);
      }
    }
    return out;
  }
}
