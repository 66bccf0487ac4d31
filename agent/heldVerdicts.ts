// The reconciler's verdicts on this host's instances, as read from the zone: an instance it took out for
// failing its health check carries a TXT verdict marker, and the agent leaves it out of the desired state
// until the reconciler deletes the marker. Read here, never written: the verdict is the reconciler's.
import {
  canonicalName,
  type HealthMarker,
  instanceKey,
  parseHealthMarker,
  parseSetIdentifier,
  type RecordSet,
} from "../records";
import type { Log } from "./syncLoop";

export class HeldVerdicts {
  /** By instance key. */
  private readonly held = new Map<string, { marker: RecordSet; verdict: HealthMarker }>();

  /** @param deployment this agent's mark; a verdict written before deployments had names is not held. */
  constructor(
    private readonly log: Log,
    private readonly deployment?: string,
  ) {}

  get size(): number {
    return this.held.size;
  }

  /** True when a verdict holds this record set's instance out of the zone. */
  holds(rs: RecordSet): boolean {
    return this.held.has(instanceKey(rs));
  }

  /** The markers of the held instances (their names are what a held refresh re-reads). */
  markers(): RecordSet[] {
    return [...this.held.values()].map((h) => h.marker);
  }

  /**
   * Takes a fresh read of the zone: the verdicts on `names` (every verdict, when no names are given) are
   * replaced by the markers among `sets`. Returns the other sets, which are applied state. A verdict new to
   * this host is logged; with `names`, so is one that was lifted (the first full read has nothing to lift).
   */
  takeRead(sets: Iterable<RecordSet>, names?: ReadonlySet<string>): RecordSet[] {
    const before = new Set(this.held.keys());
    if (names) {
      for (const [key, h] of this.held) if (names.has(canonicalName(h.marker.Name))) this.held.delete(key);
    } else {
      this.held.clear();
    }
    const others: RecordSet[] = [];
    for (const rs of sets) {
      const verdict = rs.Type === "TXT" ? parseHealthMarker(rs) : undefined;
      if (verdict?.kind !== "verdict") {
        others.push(rs);
        continue;
      }
      // An unattributed verdict (written by a reconciler before deployments had names) sits beside an
      // instance this agent takes over and rewrites with its mark: no reconciler of this deployment would ever
      // lift it, so holding it would keep the instance out for good. It is taken over like the instance's
      // other unattributed sets (applied, not desired: deleted), and this deployment's reconciler judges the
      // instance afresh.
      if (this.deployment !== undefined && parseSetIdentifier(rs.SetIdentifier)?.deployment === undefined) {
        this.log.info(
          { action: "verdict-taken-over", instance: instanceKey(rs) },
          "a verdict written before deployments had names is removed; this deployment's reconciler judges the instance",
        );
        others.push(rs);
        continue;
      }
      const key = instanceKey(rs);
      if (!before.has(key)) {
        this.log.warn(
          { action: "verdict", instance: key, since: verdict.since, detail: verdict.detail },
          "the reconciler took this instance out for failing its health check; not writing it back until it lifts that",
        );
      }
      this.held.set(key, { marker: rs, verdict });
    }
    if (names) {
      for (const key of before) {
        if (!this.held.has(key))
          this.log.info(
            { action: "verdict-lifted", instance: key },
            "reconciler lifted its verdict; writing the instance again",
          );
      }
    }
    return others;
  }
}
