// The registrar's TaskZone over the coalescer (coalescer/zoneChanges.ts): the zone's one writer, which applies
// every submitter's changes in shared batches and answers reads from its copy of the zone. So a task event
// costs no Route53 request of its own: its writes ride in the coalescer's next batch, its reads cost nothing.

import { sameRecordSet } from "../agent/recordSetDiff";
import { InvalidChangeBatchError } from "../agent/zoneWriter";
import type { ZoneChanges } from "../coalescer/zoneChanges";
import { parseSetIdentifier, type RecordSet, recordSetKey } from "../records";
import type { TaskZone } from "./registrar";
import { isTaskSet } from "./taskSets";

export class CoalescerTaskZone implements TaskZone {
  constructor(
    private readonly changes: ZoneChanges,
    /** Its deployment's mark (ECSSD_DEPLOYMENT): another deployment's sets of a task are never its own. */
    private readonly deployment?: string,
  ) {}

  async upsert(sets: readonly RecordSet[]): Promise<void> {
    if (sets.length === 0) return;
    await this.changes.submit(
      origin(sets),
      sets.map((recordSet) => ({ action: "UPSERT" as const, recordSet })),
    );
  }

  /**
   * Route53 refuses a DELETE of a set that is absent or differs from the one it holds, and the core reads the
   * task's sets back when it does; the coalescer's copy answers that before anything is submitted, so a
   * repeated stop costs no request. The sets are deleted as the copy holds them (Route53's exact spelling).
   */
  async deleteExactly(sets: readonly RecordSet[]): Promise<boolean> {
    if (sets.length === 0) return true;
    const held = new Map(
      (await this.changes.readNames([...new Set(sets.map((s) => s.Name))])).map((rs) => [
        recordSetKey(rs),
        rs,
      ]),
    );
    const deletes: RecordSet[] = [];
    for (const set of sets) {
      const found = held.get(recordSetKey(set));
      if (found === undefined || !sameRecordSet(found, set)) return false;
      deletes.push(found);
    }
    try {
      await this.changes.submit(
        origin(sets),
        deletes.map((recordSet) => ({ action: "DELETE" as const, recordSet })),
      );
      return true;
    } catch (err) {
      // Changed between the copy's answer and the batch (the coalescer re-read the names): as Route53 would.
      if (err instanceof InvalidChangeBatchError) return false;
      throw err;
    }
  }

  async taskSets(names: readonly string[], taskId: string): Promise<RecordSet[]> {
    if (names.length === 0) return [];
    const found = await this.changes.readNames(names);
    return found.filter((rs) => isTaskSet(rs, taskId, this.deployment));
  }
}

/** `task:<id>`, the submitter's name in the coalescer's logs; every set of one call is one task's. */
function origin(sets: readonly RecordSet[]): string {
  const owner = parseSetIdentifier(sets[0]?.SetIdentifier);
  return owner?.kind === "task" || owner?.kind === "task-instance" ? `task:${owner.taskId}` : "task:unknown";
}
