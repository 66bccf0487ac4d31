// The reconciler's judgement, as pure functions: which record sets are ours, which of them the inventory
// proves stale, and which host records nothing uses any more. No I/O here; reconcile.ts does that.
import type { ResourceRecordSet } from "@aws-sdk/client-route-53";
import {
  canonicalName,
  hostRecordName,
  type OwnedIdentity,
  parseSetIdentifier,
  parseSrvValue,
  recordSetKey,
  type SrvValue,
  sameContainer,
} from "../records";
import type { InventorySnapshot } from "./inventory";

/** Why a record set is deleted. */
export type DeleteReason = "host-gone" | "task-gone" | "container-gone" | "unhealthy";
export const DELETE_REASONS: readonly DeleteReason[] = [
  "host-gone",
  "task-gone",
  "container-gone",
  "unhealthy",
];

type InstanceIdentity = Extract<OwnedIdentity, { kind: "instance" }>;

/** One of our SRV record sets. */
export interface InstanceRecord {
  readonly key: string;
  readonly set: ResourceRecordSet;
  readonly identity: InstanceIdentity;
  /** The first SRV value (we write exactly one); undefined if it does not parse. */
  readonly srv?: SrvValue;
}

/** One of our host A record sets. */
export interface HostRecord {
  readonly key: string;
  readonly set: ResourceRecordSet;
  readonly hostId: string;
}

/** The zone as the reconciler sees it. */
export interface ZoneView {
  readonly seen: number;
  readonly instances: readonly InstanceRecord[];
  readonly hosts: readonly HostRecord[];
  /** Every SRV set in the zone, ours or not, by key → the host names its values point at. */
  readonly srvTargets: ReadonlyMap<string, readonly string[]>;
  /** Every A record in the zone by name → addresses; ours first, so checks use what our agent wrote. */
  readonly addresses: ReadonlyMap<string, readonly string[]>;
}

/** A record set to delete and why. */
export interface PlannedDelete {
  readonly key: string;
  readonly set: ResourceRecordSet;
  readonly reason: DeleteReason;
}

/**
 * Sorts the zone's record sets into ours and everything else. Ours means: the SetIdentifier parses as ours
 * and the set has the type we write for that identity (SRV for an instance, A named `<hostId>.<zone>` for a
 * host). Anything else, however close, is somebody else's and is never touched.
 */
export function viewZone(sets: readonly ResourceRecordSet[], zoneName: string): ZoneView {
  const instances: InstanceRecord[] = [];
  const hosts: HostRecord[] = [];
  const srvTargets = new Map<string, string[]>();
  const ourAddresses = new Map<string, string[]>();
  const otherAddresses = new Map<string, string[]>();
  for (const set of sets) {
    const key = recordSetKey(set);
    const name = canonicalName(set.Name ?? "");
    const values = (set.ResourceRecords ?? []).map((r) => r.Value ?? "");
    const identity = parseSetIdentifier(set.SetIdentifier);
    if (set.Type === "SRV") {
      const targets = values.map((v) => parseSrvValue(v)?.target).filter((t): t is string => t !== undefined);
      srvTargets.set(key, targets);
      if (identity?.kind === "instance") {
        const srv = parseSrvValue(values[0] ?? "");
        instances.push({ key, set, identity, ...(srv && { srv }) });
      }
    } else if (set.Type === "A") {
      const ours = identity?.kind === "host" && name === hostRecordName(identity.hostId, zoneName);
      const into = ours ? ourAddresses : otherAddresses;
      into.set(name, [...(into.get(name) ?? []), ...values]);
      if (ours && identity?.kind === "host") hosts.push({ key, set, hostId: identity.hostId });
    }
  }
  const addresses = new Map<string, string[]>();
  for (const [name, list] of ourAddresses) addresses.set(name, list);
  for (const [name, list] of otherAddresses) addresses.set(name, [...(addresses.get(name) ?? []), ...list]);
  return { seen: sets.length, instances, hosts, srvTargets, addresses };
}

/** Why the inventory says this instance record is stale, or undefined when it may live. */
export function staleReason(
  identity: InstanceIdentity,
  snapshot: InventorySnapshot,
): DeleteReason | undefined {
  if (!snapshot.hosts.has(identity.hostId)) return "host-gone";
  if (identity.taskId !== undefined && snapshot.tasks) {
    const task = snapshot.tasks.get(identity.taskId);
    if (!task) return "task-gone";
    // The task runs, but not this container on this host: a restarted container or a reused task id.
    if (task.hostId !== undefined && task.hostId !== identity.hostId) return "container-gone";
    if (task.containerIds && !task.containerIds.some((id) => sameContainer(identity, id)))
      return "container-gone";
    return undefined;
  }
  if (snapshot.containers) {
    for (const id of snapshot.containers) if (sameContainer(identity, id)) return undefined;
    return "container-gone";
  }
  // ECS without a task id: a container started on the host outside any task. ECS cannot see it, so only
  // its host's fate decides; the agent on that host owns it meanwhile.
  return undefined;
}

/** Our instance records the inventory proves stale, and the rest (the survivors, to health-check). */
export function staleInstances(
  view: ZoneView,
  snapshot: InventorySnapshot,
): { stale: PlannedDelete[]; survivors: InstanceRecord[] } {
  const stale: PlannedDelete[] = [];
  const survivors: InstanceRecord[] = [];
  for (const record of view.instances) {
    const reason = staleReason(record.identity, snapshot);
    if (reason) stale.push({ key: record.key, set: record.set, reason });
    else survivors.push(record);
  }
  return { stale, survivors };
}

/**
 * Our host records whose host is gone and that no SRV set left in the zone (ours or anyone's) points at.
 * `deleting` holds the keys of SRV sets this run deletes.
 */
export function unusedHostRecords(
  view: ZoneView,
  snapshot: InventorySnapshot,
  zoneName: string,
  deleting: ReadonlySet<string>,
): PlannedDelete[] {
  const targeted = new Set<string>();
  for (const [key, targets] of view.srvTargets) {
    if (deleting.has(key)) continue;
    for (const t of targets) targeted.add(t);
  }
  return view.hosts
    .filter((h) => !snapshot.hosts.has(h.hostId) && !targeted.has(hostRecordName(h.hostId, zoneName)))
    .map((h) => ({ key: h.key, set: h.set, reason: "host-gone" as const }));
}
