// In-memory fakes of the reconciler core's ports, for tests of the plan's application and of the core.
import type { LiveTask } from "../../../reconciler/inventory";
import type {
  ReconcilerZone,
  ZoneDeleteOutcome,
  ZoneMarkerOutcome,
} from "../../../reconciler/reconcilerZone";
import type { TaskStopper } from "../../../reconciler/taskStopper";
import { type RecordSet, recordSetKey } from "../../../records";

/**
 * A zone held in a map. Tests replace sets in `sets` as if an agent rewrote them after the reconciler read
 * them; the keys in `failing` fail every delete (as throttling past every retry does), those in
 * `failingMarkers` every marker write.
 */
export class MemoryZone implements ReconcilerZone {
  readonly sets = new Map<string, RecordSet>();
  /** Sets per deleteRecordSets call. */
  readonly deleteRequests: number[] = [];
  /** Every call that changes the zone, in order: its one action, the types it touches, how many sets. */
  readonly requests: { action: "UPSERT" | "DELETE"; types: string[]; sets: number }[] = [];
  constructor(
    sets: RecordSet[],
    readonly failing = new Set<string>(),
    readonly failingMarkers = new Set<string>(),
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
    this.requests.push({ action: "DELETE", types: [...new Set(sets.map((m) => m.Type))], sets: sets.length });
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
  async writeMarkers(markers: readonly RecordSet[]): Promise<ZoneMarkerOutcome> {
    this.requests.push({
      action: "UPSERT",
      types: [...new Set(markers.map((m) => m.Type))],
      sets: markers.length,
    });
    const written: RecordSet[] = [];
    const failed: { set: RecordSet; error: string }[] = [];
    for (const m of markers) {
      if (this.failingMarkers.has(recordSetKey(m)))
        failed.push({ set: m, error: "Throttling: Rate exceeded" });
      else {
        this.sets.set(recordSetKey(m), m);
        written.push(m);
      }
    }
    return { written, failed };
  }
}

export class RecordingStopper implements TaskStopper {
  readonly stopped: { taskId: string; reason: string }[] = [];
  async stopTask(task: LiveTask, reason: string): Promise<void> {
    this.stopped.push({ taskId: task.taskId, reason });
  }
}
