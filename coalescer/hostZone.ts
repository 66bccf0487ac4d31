// An agent's zone edge (agent/zoneWriter.ts) inside the coalescer's own process: the host's reads answered from
// the coalescer's copy, its changes submitted to the shared batches. The benches run a fleet's agents this way;
// agents on their own hosts reach the coalescer over HTTP (agent/coalescerZone.ts) with the same meaning.

import type { RecordChange, ZoneWriter } from "../agent/zoneWriter";
import type { RecordSet } from "../records";
import type { ZoneChanges } from "./zoneChanges";

export class CoalescerHostZone implements ZoneWriter {
  constructor(
    private readonly coalescer: ZoneChanges,
    private readonly hostId: string,
  ) {}

  listHostRecordSets(hostId: string, deployment?: string): Promise<RecordSet[]> {
    return this.coalescer.hostRecordSets(hostId, deployment);
  }

  readNames(names: string[]): Promise<RecordSet[]> {
    return this.coalescer.readNames(names);
  }

  change(changes: RecordChange[]): Promise<void> {
    return this.coalescer.submit(this.hostId, changes);
  }
}
