// Changes the zone rejected on their own even after a re-read: skipped until the desired state moves.
// Bounded twice: only changes still pending are kept (see keepPending), and at most `cap` of them.
import { changeFingerprint } from "./recordSetDiff";
import type { RecordChange } from "./zoneWriter";

/**
 * A host has far fewer record sets than this; the cap only guards a process that runs for months against
 * a zone that keeps refusing ever new changes. Beyond it the oldest rejection is forgotten, and that
 * change is tried again (after a back-off pause, so a full list cannot turn into a busy loop).
 */
export const MAX_REJECTED = 1_000;

export class RejectedChanges {
  /** Fingerprints, oldest first. */
  private readonly fingerprints = new Set<string>();

  constructor(private readonly cap: number = MAX_REJECTED) {}

  get size(): number {
    return this.fingerprints.size;
  }

  has(change: RecordChange): boolean {
    return this.fingerprints.has(changeFingerprint(change));
  }

  /**
   * Remembers a rejected change; true when that pushed the oldest one out (the list is full), which is then
   * pending again.
   */
  remember(change: RecordChange): boolean {
    this.fingerprints.add(changeFingerprint(change));
    let evicted = false;
    for (const oldest of this.fingerprints) {
      if (this.fingerprints.size <= this.cap) break;
      this.fingerprints.delete(oldest);
      evicted = true;
    }
    return evicted;
  }

  /**
   * Forgets rejections of changes no longer pending: the container moved on, or the zone changed. `pending`
   * is only called when something is remembered (computing it means a diff of the whole host).
   */
  keepPending(pending: () => readonly RecordChange[]): void {
    if (this.fingerprints.size === 0) return;
    const still = new Set(pending().map(changeFingerprint));
    for (const f of this.fingerprints) if (!still.has(f)) this.fingerprints.delete(f);
  }
}
