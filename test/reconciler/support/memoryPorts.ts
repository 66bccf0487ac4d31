// In-memory fakes of the reconciler core's ports, for tests of the plan's application and of the core.
import type { LiveTask } from "../../../reconciler/inventory";
import type { ReconcilerZone, ZoneDeleteOutcome } from "../../../reconciler/reconcilerZone";
import type { TaskStopper } from "../../../reconciler/taskStopper";
import { type RecordSet, recordSetKey } from "../../../records";

/** A zone held in a map; `changed` replaces sets as if an agent rewrote them after the reconciler read them. */
export class MemoryZone implements ReconcilerZone {
  readonly sets = new Map<string, RecordSet>();
  readonly deleteRequests: number[] = [];
  constructor(
    sets: RecordSet[],
    readonly failing = new Set<string>(),
  ) {
    for (const s of sets) this.sets.set(recordSetKey(s), s);
  }
  async id(): Promise<string> {
    return "Z1";
  }
  async listRecordSets(): Promise<RecordSet[]> {
    return [...this.sets.values()];
  }
  async deleteRecordSets(
    sets: readonly RecordSet[],
    stillDelete: (current: RecordSet, original: RecordSet) => boolean,
  ): Promise<ZoneDeleteOutcome> {
    this.deleteRequests.push(sets.length);
    const out = {
      deleted: [] as RecordSet[],
      vanished: [] as RecordSet[],
      keptAfterChange: [] as RecordSet[],
    };
    const failed: { set: RecordSet; error: string }[] = [];
    for (const original of sets) {
      const key = recordSetKey(original);
      const current = this.sets.get(key);
      if (!current) out.vanished.push(original);
      else if (this.failing.has(key)) failed.push({ set: original, error: "InternalError: boom" });
      else if (current !== original && !stillDelete(current, original)) out.keptAfterChange.push(current);
      else {
        this.sets.delete(key);
        out.deleted.push(current);
      }
    }
    return { ...out, failed };
  }
  async replaceWithVerdicts(
    changes: readonly { readonly set: RecordSet; readonly marker: RecordSet }[],
    stillDelete: (current: RecordSet, original: RecordSet) => boolean,
  ): Promise<ZoneDeleteOutcome> {
    const outcome = await this.deleteRecordSets(
      changes.map((c) => c.set),
      stillDelete,
    );
    const deleted = new Set(outcome.deleted.map(recordSetKey));
    for (const c of changes)
      if (deleted.has(recordSetKey(c.set))) this.sets.set(recordSetKey(c.marker), c.marker);
    return outcome;
  }
}

export class RecordingStopper implements TaskStopper {
  readonly stopped: { taskId: string; reason: string }[] = [];
  async stopTask(task: LiveTask, reason: string): Promise<void> {
    this.stopped.push({ taskId: task.taskId, reason });
  }
}
