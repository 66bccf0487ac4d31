// The truth the fleet's zone should equal, the zone as it is, and the time from each change of the truth to
// the zone following it. The zone side is fed by the store's change listener (fleetZone.ts), so it is exact
// to the batch and costs no request. Record sets are compared by identity (what their SetIdentifier says
// they are for), one key each:
//   h:<hostId>          a host's A record (the agent's)
//   i:<taskId>          the SRV record of a bridge task's container (the agent's)
//   t:<taskId>          an awsvpc task's A record (the registrar's)
//   ti:<taskId>:<port>  an awsvpc task's SRV record (the registrar's)
import type { StoredRecordSet } from "../../local/zone/route53Records";
import { parseSetIdentifier } from "../../records";

/** What a change of the truth was: a task started or stopped, a container's health check passed or failed. */
export type Transition = "start" | "stop" | "healthy" | "unhealthy";
const TRANSITIONS: readonly Transition[] = ["start", "stop", "healthy", "unhealthy"];

export function recordKey(rs: { type: string; setIdentifier?: string }): string | undefined {
  if (rs.type !== "A" && rs.type !== "SRV") return undefined;
  const id = parseSetIdentifier(rs.setIdentifier);
  switch (id?.kind) {
    case "host":
      return rs.type === "A" ? `h:${id.hostId}` : undefined;
    case "instance":
      return rs.type === "SRV"
        ? `i:${id.taskId ?? `${id.hostId}:${id.containerId}:${id.containerPort}`}`
        : undefined;
    case "task":
      return rs.type === "A" ? `t:${id.taskId}` : undefined;
    case "task-instance":
      return rs.type === "SRV" ? `ti:${id.taskId}:${id.containerPort}` : undefined;
    default:
      return undefined;
  }
}

interface Pending {
  want: boolean;
  since: number;
  transition: Transition;
}

export interface LatencyReport {
  /** Transitions the zone followed, with the time it took. */
  samples: number[];
  /** Transitions the zone had not followed when the scenario ended. */
  notFollowed: number;
  /** Transitions overtaken by the next one before the zone followed (a task stopped before its record landed). */
  overtaken: number;
}

export class ZoneTruth {
  private readonly expected = new Set<string>();
  private readonly actual = new Set<string>();
  private readonly byName = new Map<string, Set<string>>();
  private readonly pending = new Map<string, Pending>();
  private readonly latencies = new Map<Transition, LatencyReport>(
    TRANSITIONS.map((t) => [t, { samples: [], notFollowed: 0, overtaken: 0 }]),
  );
  /** Keys in exactly one of expected and actual, and how many. */
  private readonly differing = new Set<string>();
  private mismatch = 0;
  /** Since when the zone has equalled the truth; undefined while it does not. */
  private equalSinceMs: number | undefined = 0;
  /** The zone wrote what the truth did not ask for at that moment (appeared unexpected, or vanished). */
  unexpectedAppear = 0;
  unexpectedVanish = 0;
  lastTruthChangeMs = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The truth changes: `key` should now be in the zone (or not). Only `track`ed changes are timed. */
  expect(key: string, present: boolean, transition: Transition, track = true): void {
    const t = this.now();
    this.lastTruthChangeMs = t;
    const before = this.pending.get(key);
    if (before) {
      this.pending.delete(key);
      (this.latencies.get(before.transition) as LatencyReport).overtaken++;
    }
    if (present !== this.expected.has(key)) {
      if (present) this.expected.add(key);
      else this.expected.delete(key);
      this.recount(key);
    }
    if (track && this.actual.has(key) !== present)
      this.pending.set(key, { want: present, since: t, transition });
  }

  /** The zone changed at these names (the store's listener). */
  observe(changed: ReadonlyMap<string, StoredRecordSet[]>): void {
    const t = this.now();
    for (const [name, sets] of changed) {
      const now = new Set<string>();
      for (const rs of sets) {
        const k = recordKey(rs);
        if (k) now.add(k);
      }
      const before = this.byName.get(name) ?? new Set<string>();
      for (const k of now) if (!before.has(k)) this.zoneHas(k, true, t);
      for (const k of before) if (!now.has(k)) this.zoneHas(k, false, t);
      if (now.size > 0) this.byName.set(name, now);
      else this.byName.delete(name);
    }
  }

  private zoneHas(key: string, present: boolean, t: number): void {
    if (present) this.actual.add(key);
    else this.actual.delete(key);
    this.recount(key);
    const p = this.pending.get(key);
    if (p && p.want === present) {
      this.pending.delete(key);
      (this.latencies.get(p.transition) as LatencyReport).samples.push(t - p.since);
    } else if (this.expected.has(key) !== present) {
      if (present) this.unexpectedAppear++;
      else this.unexpectedVanish++;
    }
  }

  private recount(key: string): void {
    const was = this.mismatch;
    const differs = this.expected.has(key) !== this.actual.has(key);
    const tracked = this.differing.has(key);
    if (differs && !tracked) {
      this.differing.add(key);
      this.mismatch++;
    } else if (!differs && tracked) {
      this.differing.delete(key);
      this.mismatch--;
    }
    if (was > 0 && this.mismatch === 0) this.equalSinceMs = this.now();
    if (this.mismatch > 0) this.equalSinceMs = undefined;
  }
  get equal(): boolean {
    return this.mismatch === 0;
  }

  /** Since when the zone has equalled the truth (ms on the clock), or undefined. */
  get equalSince(): number | undefined {
    return this.equalSinceMs;
  }

  /** Keys the truth wants that the zone lacks, and keys the zone has that the truth does not want. */
  differences(): { missing: string[]; extra: string[] } {
    const missing: string[] = [];
    const extra: string[] = [];
    for (const k of this.differing) (this.expected.has(k) ? missing : extra).push(k);
    return { missing, extra };
  }

  get expectedCount(): number {
    return this.expected.size;
  }

  /** Ends the timing: what is still pending is counted as not followed. */
  latencyReport(): Record<Transition, LatencyReport> {
    for (const p of this.pending.values()) (this.latencies.get(p.transition) as LatencyReport).notFollowed++;
    this.pending.clear();
    const out = {} as Record<Transition, LatencyReport>;
    for (const [t, r] of this.latencies) out[t] = { ...r, samples: [...r.samples].sort((a, b) => a - b) };
    return out;
  }
}
