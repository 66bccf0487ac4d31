// The reconciler's plan, as pure functions: which record sets are ours, which of them the inventory proves
// stale, which fail their health checks, which host records nothing uses any more, which tasks to stop, and
// whether the safety valve holds it all back. Each decision carries its reason. No I/O here: reconcile.ts
// reads the zone, the inventory and the health checks, and applyPlan.ts carries the plan out.
import {
  azIdOf,
  canonicalName,
  type DeploymentScope,
  hostRecordName,
  instanceKey,
  isOwnType,
  mayOffer,
  type OwnedIdentity,
  ownedBy,
  parseHealthMarker,
  parseSetIdentifier,
  parseSrvValue,
  type RecordSet,
  recordSetKey,
  type ServiceOwners,
  type SrvValue,
  sameContainer,
  verdictMarker,
  type ZoneRecordSet,
} from "../records";
import { endpointKey, type HealthResult, type HealthTarget } from "./healthChecker";
import type { InventorySnapshot, LiveTask } from "./inventory";
import { containerPortKey, instanceEvidence, taskRecordEvidence } from "./publishedEvidence";
import type { HealthFailure } from "./runSummary";

/** The summary lists this many health failures at most; the log has them all. */
export const MAX_REPORTED_FAILURES = 20;

/** Why a record set is deleted. */
export type DeleteReason =
  | "host-gone"
  | "task-gone"
  | "container-gone"
  | "unhealthy"
  | "not-owned"
  /** The inventory says the task or container its SetIdentifier names does not publish what it says. */
  | "forged";
export const DELETE_REASONS: readonly DeleteReason[] = [
  "host-gone",
  "task-gone",
  "container-gone",
  "unhealthy",
  "not-owned",
  "forged",
];

type InstanceIdentity = Extract<OwnedIdentity, { kind: "instance" }>;

/** One of our SRV record sets. */
export interface InstanceRecord {
  readonly key: string;
  readonly set: RecordSet;
  readonly identity: InstanceIdentity;
  /** The first SRV value (we write exactly one); undefined if it does not parse. */
  readonly srv?: SrvValue;
}

/**
 * A record set of an awsvpc task, the registrar's: its A record, the AZ set beside it, or the SRV record of one
 * of its ports.
 */
export interface TaskRecord {
  readonly key: string;
  readonly set: RecordSet;
  readonly taskId: string;
  readonly identity: Extract<OwnedIdentity, { kind: "task" | "task-instance" }>;
}

/** One of our host A record sets, or the AZ set beside one: the two live and go together. */
export interface HostRecord {
  readonly key: string;
  readonly set: RecordSet;
  readonly hostId: string;
}

/** A verdict marker of ours: an instance this reconciler took out for failing its checks. */
export interface VerdictRecord {
  readonly key: string;
  readonly set: RecordSet;
  readonly identity: InstanceIdentity;
  /** Where the failing check went: this port at the address of the identity's host record. */
  readonly port: number;
}

/** The zone as the reconciler sees it. */
export interface ZoneView {
  readonly seen: number;
  /**
   * Sets of our types with an unattributed (`ecssd1`) SetIdentifier that this deployment does not claim:
   * written before deployments had names, by this deployment or another; left alone, counted.
   */
  readonly unattributed: number;
  readonly instances: readonly InstanceRecord[];
  /** Our hosts' A sets and the AZ sets beside them. */
  readonly hosts: readonly HostRecord[];
  /**
   * The registrar's record sets (awsvpc tasks), the AZ sets beside their A sets included: judged by their task
   * alone, never health-checked here.
   */
  readonly taskRecords: readonly TaskRecord[];
  /** Instance keys (records' instanceKey) whose port declares an agent check: their health is the agent's. */
  readonly agentChecked: ReadonlySet<string>;
  /** The same, as container ports (containerPortKey), under whatever name the marker was found. */
  readonly agentCheckedPorts: ReadonlySet<string>;
  /** Agent-check markers seen (ours, for the record counts). */
  readonly agentMarkers: number;
  readonly verdicts: readonly VerdictRecord[];
  /** Every SRV set in the zone, ours or not, by key → the host names its values point at. */
  readonly srvTargets: ReadonlyMap<string, readonly string[]>;
  /**
   * Our hosts' A records by name → addresses: the only addresses the reconciler sends checks to. Others' A
   * records are never believed: a record set forged beside ours must not aim a check at an address of its
   * choosing.
   */
  readonly addresses: ReadonlyMap<string, readonly string[]>;
}

/** Why a verdict marker is deleted: its instance passed again, or is gone (a stale reason). */
export type MarkerDeleteReason = "recovered" | DeleteReason;

/** A verdict marker to delete and why. */
export interface PlannedMarkerDelete {
  readonly key: string;
  readonly set: RecordSet;
  readonly reason: MarkerDeleteReason;
}

/** A record set to delete and why. */
export interface PlannedDelete {
  readonly key: string;
  /** The set as read; it is deleted exactly so. */
  readonly set: RecordSet;
  readonly reason: DeleteReason;
  /**
   * True when the set goes only as read: a health verdict holds for the endpoint that was checked, so a set
   * that changed meanwhile stays. A set planned for an inventory reason still goes after a change (its
   * identity, and so the inventory's verdict, is unchanged).
   */
  readonly onlyAsRead: boolean;
  /** For an unhealthy instance: its verdict marker, written (in a request of its own) before the delete. */
  readonly marker?: RecordSet;
}

/**
 * Sorts the zone's record sets into ours and everything else. Ours means: the SetIdentifier parses as ours,
 * names this deployment (`scope`; see records/ownedBy), and the set has the type we write for that identity
 * (SRV for an instance, A named `<hostId>.<zone>` for a host, and the AZ set at that name beside it). Anything
 * else, however close, is somebody else's and is never touched: another deployment's sets are not even judged.
 */
export function viewZone(
  sets: readonly ZoneRecordSet[],
  zoneName: string,
  scope: DeploymentScope = {},
): ZoneView {
  let unattributed = 0;
  const instances: InstanceRecord[] = [];
  const hosts: HostRecord[] = [];
  const taskRecords: TaskRecord[] = [];
  const agentChecked = new Set<string>();
  const agentCheckedPorts = new Set<string>();
  let agentMarkers = 0;
  const verdicts: VerdictRecord[] = [];
  const srvTargets = new Map<string, string[]>();
  const ourAddresses = new Map<string, string[]>();
  for (const set of sets) {
    // The zone also lists sets we never write (SOA, NS, aliases, no SetIdentifier...): only SRV and A sets
    // with values say anything about instances and addresses.
    if (!isOwnType(set)) continue;
    const key = recordSetKey(set);
    const name = canonicalName(set.Name ?? "");
    const values = (set.ResourceRecords ?? []).map((r) => r.Value ?? "");
    const parsed = parseSetIdentifier(set.SetIdentifier);
    const identity = ownedBy(parsed, scope) ? parsed : undefined;
    if (parsed !== undefined && identity === undefined && parsed.deployment === undefined) unattributed++;
    if (
      (identity?.kind === "task-instance" && set.Type === "SRV") ||
      (identity?.kind === "task" && (set.Type === "A" || azIdOf(set) !== undefined))
    ) {
      taskRecords.push({ key, set, taskId: identity.taskId, identity });
    }
    if (set.Type === "SRV") {
      const targets = values.map((v) => parseSrvValue(v)?.target).filter((t): t is string => t !== undefined);
      srvTargets.set(key, targets);
      if (identity?.kind === "instance") {
        const srv = parseSrvValue(values[0] ?? "");
        instances.push({ key, set, identity, ...(srv && { srv }) });
      }
    } else if (set.Type === "TXT") {
      // A host's AZ set goes with its A set (unusedHostRecords), whose name it must have.
      if (identity?.kind === "host" && name === hostRecordName(identity.hostId, zoneName)) {
        if (azIdOf(set) !== undefined) hosts.push({ key, set, hostId: identity.hostId });
        continue;
      }
      const marker = parseHealthMarker(set);
      if (identity?.kind !== "instance" || !marker) continue;
      if (marker.kind === "agent-check") {
        agentChecked.add(instanceKey(set));
        agentCheckedPorts.add(containerPortKey(identity));
        agentMarkers++;
      } else verdicts.push({ key, set, identity, port: marker.port });
    } else if (set.Type === "A") {
      const ours = identity?.kind === "host" && name === hostRecordName(identity.hostId, zoneName);
      if (ours && identity?.kind === "host") {
        ourAddresses.set(name, [...(ourAddresses.get(name) ?? []), ...values]);
        hosts.push({ key, set, hostId: identity.hostId });
      }
    }
  }
  const addresses = ourAddresses;
  return {
    seen: sets.length,
    unattributed,
    instances,
    hosts,
    taskRecords,
    agentChecked,
    agentCheckedPorts,
    agentMarkers,
    verdicts,
    srvTargets,
    addresses,
  };
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

/**
 * The registrar's record sets whose task ECS no longer runs: the backstop for a stop event that was missed.
 * An inventory without tasks (Docker) cannot judge them, and keeps them.
 */
export function staleTaskRecords(view: ZoneView, snapshot: InventorySnapshot): PlannedDelete[] {
  const tasks = snapshot.tasks;
  if (tasks === undefined) return [];
  return view.taskRecords
    .filter((r) => !tasks.has(r.taskId))
    .map((r) => ({ key: r.key, set: r.set, reason: "task-gone" as const, onlyAsRead: false }));
}

/**
 * Our SRV sets (the agent's and the registrar's) of a name in `owners` whose task's family may not offer it:
 * what a writer without the map, or before it, registered. Judged only where ECS says whose a task is.
 */
export function notOwned(
  view: ZoneView,
  snapshot: InventorySnapshot,
  owners: ServiceOwners | undefined,
  zoneName: string,
): PlannedDelete[] {
  const tasks = snapshot.tasks;
  if (owners === undefined || owners.size === 0 || tasks === undefined) return [];
  const out: PlannedDelete[] = [];
  const judge = (key: string, set: RecordSet, taskId: string | undefined) => {
    const family = taskId === undefined ? undefined : tasks.get(taskId)?.family;
    // A task ECS does not list is judged by staleness, not here: its family is unknown, not wrong. Nor is
    // that of a task ECS listed but did not describe: missing evidence deletes nothing.
    if (taskId !== undefined && (!tasks.has(taskId) || tasks.get(taskId)?.undescribed)) return;
    // `_calc._tcp.<zone>` → `_calc._tcp`, the name the map lists.
    const name = canonicalName(set.Name).slice(0, -(zoneName.length + 1));
    if (!mayOffer(owners, name, family)) out.push({ key, set, reason: "not-owned", onlyAsRead: false });
  };
  for (const r of view.instances) judge(r.key, r.set, r.identity.taskId);
  for (const r of view.taskRecords) if (r.set.Type === "SRV") judge(r.key, r.set, r.taskId);
  return out;
}

/**
 * Our record sets (of those not already going) whose SetIdentifier the inventory contradicts: the container
 * it names does not publish that port on that host, the task is an awsvpc task the agent never publishes, or
 * a registrar's set does not hold its task's ENI address and container port. Deleted as `forged`, only as
 * read (the verdict is on the values). `confirmed` holds the keys of the instance records the inventory
 * confirms.
 */
export function forgedRecords(
  view: ZoneView,
  instances: readonly InstanceRecord[],
  snapshot: InventorySnapshot,
  zoneName: string,
  going: ReadonlySet<string>,
): { forged: PlannedDelete[]; confirmed: Set<string> } {
  const forged: PlannedDelete[] = [];
  const confirmed = new Set<string>();
  const planDelete = (key: string, set: RecordSet) =>
    forged.push({ key, set, reason: "forged", onlyAsRead: true });
  for (const r of instances) {
    const evidence = instanceEvidence(r.identity, r.set, r.srv?.port, snapshot);
    if (evidence === "forged") planDelete(r.key, r.set);
    else if (evidence === "confirmed") confirmed.add(r.key);
  }
  for (const r of view.taskRecords) {
    if (going.has(r.key)) continue;
    if (taskRecordEvidence(r.identity, r.set, snapshot, zoneName) === "forged") planDelete(r.key, r.set);
  }
  return { forged, confirmed };
}

/**
 * The confirmed records whose failing check may stop their task: the only one of ours for their container port
 * (a copy under another name, even at the right port, leaves it unclear which check is the task's) and not a
 * port whose agent check, under any name, makes its health the agent's.
 */
export function stoppable(
  survivors: readonly InstanceRecord[],
  confirmed: ReadonlySet<string>,
  view: ZoneView,
): Set<string> {
  const seen = new Map<string, number>();
  for (const r of survivors) {
    const port = containerPortKey(r.identity);
    seen.set(port, (seen.get(port) ?? 0) + 1);
  }
  const out = new Set<string>();
  for (const r of survivors) {
    const port = containerPortKey(r.identity);
    if (confirmed.has(r.key) && seen.get(port) === 1 && !view.agentCheckedPorts.has(port)) out.add(r.key);
  }
  return out;
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
    if (reason) stale.push({ key: record.key, set: record.set, reason, onlyAsRead: false });
    else survivors.push(record);
  }
  return { stale, survivors };
}

/**
 * Our host records whose host is gone and that no SRV set left in the zone (ours or anyone's) points at, with
 * the AZ sets beside them. `deleting` holds the keys of SRV sets this run deletes.
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
    .map((h) => ({ key: h.key, set: h.set, reason: "host-gone" as const, onlyAsRead: false }));
}

/** The first half of a plan, before any health check: the zone as seen, what is stale, what survives. */
export interface StalePlan {
  readonly view: ZoneView;
  readonly stale: readonly PlannedDelete[];
  /** Our instance records the inventory keeps. */
  readonly survivors: readonly InstanceRecord[];
  /**
   * Keys of the survivors whose failing check may stop their task: the inventory confirms that their
   * container publishes their port on their host (see stoppable). Any other survivor may still be deleted as
   * unhealthy, but is never the cause of a stop.
   */
  readonly stoppable: ReadonlySet<string>;
  /**
   * The survivors this reconciler health-checks: those without an agent check (the agent owns those) whose
   * SRV target is the host their SetIdentifier names.
   */
  readonly toCheck: readonly InstanceRecord[];
  /**
   * Survivors whose SRV target is not the host their SetIdentifier names: not written by our agent as the
   * contract says (forged, or damaged). Neither checked nor the cause of a stop; counted in the summary.
   */
  readonly unverified: readonly InstanceRecord[];
  /** Verdicts whose instance still lives: checked again, lifted once it passes. */
  readonly liveVerdicts: readonly VerdictRecord[];
  /** Verdicts whose instance is gone: deleted with the inventory's reason. */
  readonly goneVerdicts: readonly PlannedMarkerDelete[];
}

/** True when the record's SRV target is the A record of the host its SetIdentifier names, as the agent writes it. */
export function targetsItsHost(record: InstanceRecord, zoneName: string): boolean {
  return (
    record.srv !== undefined &&
    canonicalName(record.srv.target) === hostRecordName(record.identity.hostId, zoneName) &&
    record.set.ResourceRecords.length === 1
  );
}

/** Judges the zone against the inventory. */
export function planStale(
  sets: readonly ZoneRecordSet[],
  snapshot: InventorySnapshot,
  zoneName: string,
  owners?: ServiceOwners,
  scope: DeploymentScope = {},
): StalePlan {
  const view = viewZone(sets, zoneName, scope);
  const instances = staleInstances(view, snapshot);
  const stale = [...instances.stale, ...staleTaskRecords(view, snapshot)];
  const staleKeys = new Set(stale.map((d) => d.key));
  const violations = notOwned(view, snapshot, owners, zoneName).filter((d) => !staleKeys.has(d.key));
  stale.push(...violations);
  const violating = new Set(violations.map((d) => d.key));
  const owned = instances.survivors.filter((r) => !violating.has(r.key));
  const { forged, confirmed } = forgedRecords(
    view,
    owned,
    snapshot,
    zoneName,
    new Set(stale.map((d) => d.key)),
  );
  stale.push(...forged);
  const forgedKeys = new Set(forged.map((d) => d.key));
  const survivors = owned.filter((r) => !forgedKeys.has(r.key));
  const liveVerdicts: VerdictRecord[] = [];
  const goneVerdicts: PlannedMarkerDelete[] = [];
  for (const v of view.verdicts) {
    const reason = staleReason(v.identity, snapshot);
    if (reason) goneVerdicts.push({ key: v.key, set: v.set, reason });
    else liveVerdicts.push(v);
  }
  const toCheck: InstanceRecord[] = [];
  const unverified: InstanceRecord[] = [];
  for (const r of survivors) {
    if (!targetsItsHost(r, zoneName)) unverified.push(r);
    else if (!view.agentChecked.has(instanceKey(r.set))) toCheck.push(r);
  }
  return {
    view,
    stale,
    survivors,
    stoppable: stoppable(survivors, confirmed, view),
    toCheck,
    unverified,
    liveVerdicts,
    goneVerdicts,
  };
}

/** Where each live verdict is checked again, by marker key: its port at its host's address. */
export function verdictTargets(
  verdicts: readonly VerdictRecord[],
  addresses: ReadonlyMap<string, readonly string[]>,
  zoneName: string,
): Map<string, HealthTarget> {
  const targets = new Map<string, HealthTarget>();
  for (const v of verdicts) {
    const address = addresses.get(hostRecordName(v.identity.hostId, zoneName))?.[0];
    if (address) targets.set(v.key, { address, port: v.port });
  }
  return targets;
}

/**
 * Where each survivor is checked, by record key: its SRV port at the first address its target's A record
 * gives. `noAddress` counts the survivors without one: nothing to check there, and the agent may be
 * writing the host record right now, so they are left alone.
 */
export function healthTargets(
  survivors: readonly InstanceRecord[],
  addresses: ReadonlyMap<string, readonly string[]>,
): { targets: Map<string, HealthTarget>; noAddress: number } {
  const targets = new Map<string, HealthTarget>();
  let noAddress = 0;
  for (const record of survivors) {
    const address = record.srv ? addresses.get(canonicalName(record.srv.target))?.[0] : undefined;
    if (!record.srv || !address) {
      noAddress++;
      continue;
    }
    targets.set(record.key, { address, port: record.srv.port });
  }
  return { targets, noAddress };
}

/** A task to stop because its instances failed their health checks. */
export interface PlannedStop {
  readonly task: LiveTask;
  /** The StopTask reason, read by people in the ECS console. */
  readonly reason: string;
  /** Its failing records: the task is stopped only once all of them are out of DNS. */
  readonly recordKeys: readonly string[];
}

export interface SafetyValve {
  /** True when the plan deletes too large a share of our record sets: then nothing is deleted. */
  readonly tripped: boolean;
  /** Planned deletes over our record sets. */
  readonly share: number;
  /** Our record sets the share is taken of: instances, hosts and awsvpc tasks' records (not health markers). */
  readonly ours: number;
  readonly reason?: string;
}

/** What one run decides: every deletion and stop with its reason, and whether the safety valve holds it back. */
export interface ReconcilePlan {
  readonly view: ZoneView;
  /** SRV sets before the host records they point at, so no consumer is sent to a name without an address. */
  readonly deletes: readonly PlannedDelete[];
  /** Empty unless unhealthy tasks are to be stopped. */
  readonly stops: readonly PlannedStop[];
  /** The first health failures, for the summary. */
  readonly failures: readonly HealthFailure[];
  /** Verdict markers to delete: their instance passed again (the agent then writes it back) or is gone. */
  readonly markerDeletes: readonly PlannedMarkerDelete[];
  /** Verdicts kept: their instance still fails, or could not be checked. */
  readonly verdictsHeld: number;
  /**
   * How many of our instance records have an SRV target that is not their own host: left alone (see
   * StalePlan.unverified). The summary reports it as `records.unverified`.
   */
  readonly unverifiedCount: number;
  readonly safetyValve: SafetyValve;
}

export interface PlanSettings {
  readonly zoneName: string;
  /** The safety valve: a plan deleting a larger share of our record sets deletes nothing. */
  readonly maxDeleteShare: number;
  readonly stopUnhealthyTasks: boolean;
}

/**
 * Completes the plan: stale instances, then survivors whose health check failed (`health` holds the results
 * by endpoint key, undefined when checks are off), then the host records nothing points at any more.
 */
export function planReconcile(
  stale: StalePlan,
  snapshot: InventorySnapshot,
  health: ReadonlyMap<string, HealthResult> | undefined,
  settings: PlanSettings,
  now: Date = new Date(),
): ReconcilePlan {
  const { view } = stale;
  const unhealthy: PlannedDelete[] = [];
  const failures: HealthFailure[] = [];
  const stops = new Map<string, { task: LiveTask; reason: string; recordKeys: string[] }>();
  const { targets } = health ? healthTargets(stale.toCheck, view.addresses) : { targets: undefined };
  for (const record of stale.toCheck) {
    const target = targets?.get(record.key);
    const result = target && health?.get(endpointKey(target));
    if (!target || result?.verdict !== "unhealthy") continue;
    unhealthy.push({
      key: record.key,
      set: record.set,
      reason: "unhealthy",
      onlyAsRead: true,
      marker: verdictMarker(record.set, { port: target.port, since: now, detail: result.detail }),
    });
    if (failures.length < MAX_REPORTED_FAILURES)
      failures.push({ record: record.key, url: result.url, detail: result.detail });
    const taskId = record.identity.taskId;
    const task = taskId !== undefined ? snapshot.tasks?.get(taskId) : undefined;
    // The endpoint checked is the identity's host (its own A record); the task is stopped only when ECS
    // places it on that very host and says it publishes that port there, so a record cannot aim a stop at a
    // task elsewhere, nor at a port of its choosing.
    if (
      task &&
      settings.stopUnhealthyTasks &&
      task.hostId === record.identity.hostId &&
      stale.stoppable.has(record.key)
    ) {
      const entry = stops.get(task.taskId) ?? {
        task,
        reason: `ecssd reconciler: health check ${result.url} failed ${result.attempts} times (${result.detail})`,
        recordKeys: [],
      };
      entry.recordKeys.push(record.key);
      stops.set(task.taskId, entry);
    }
  }

  const srvDeletes = [...stale.stale, ...unhealthy];
  const hostDeletes = unusedHostRecords(
    view,
    snapshot,
    settings.zoneName,
    new Set(srvDeletes.map((d) => d.key)),
  );
  const deletes = [...srvDeletes, ...hostDeletes];
  // A verdict is lifted only on a pass; with checks off, or out of time, it holds. Its instance may still be in
  // the zone beside it (the run that wrote it could not delete it, or the agent has not read it yet): then
  // that instance's own check decides too. Failing now, its verdict is written again and never lifted in the
  // same run; passing, its verdict goes, wherever the marker's port points.
  const failingNow = new Set(unhealthy.map((d) => instanceKey(d.set)));
  const passingNow = new Set<string>();
  for (const record of stale.toCheck) {
    const target = targets?.get(record.key);
    if (target && health?.get(endpointKey(target))?.verdict === "healthy")
      passingNow.add(instanceKey(record.set));
  }
  const lifted: PlannedMarkerDelete[] = [];
  const vTargets = health ? verdictTargets(stale.liveVerdicts, view.addresses, settings.zoneName) : undefined;
  for (const v of stale.liveVerdicts) {
    const instance = instanceKey(v.set);
    if (failingNow.has(instance)) continue;
    const target = vTargets?.get(v.key);
    if (passingNow.has(instance) || (target && health?.get(endpointKey(target))?.verdict === "healthy")) {
      lifted.push({ key: v.key, set: v.set, reason: "recovered" });
    }
  }
  return {
    view,
    deletes,
    stops: [...stops.values()],
    failures,
    markerDeletes: [...stale.goneVerdicts, ...lifted],
    verdictsHeld: stale.liveVerdicts.length - lifted.length,
    unverifiedCount: stale.unverified.length,
    safetyValve: safetyValve(
      deletes.length,
      view.instances.length + view.hosts.length + view.taskRecords.length,
      settings.maxDeleteShare,
    ),
  };
}

/** Holds back a run that would delete more than `maxShare` of our record sets. */
export function safetyValve(planned: number, ours: number, maxShare: number): SafetyValve {
  const share = ours === 0 ? 0 : planned / ours;
  if (share <= maxShare) return { tripped: false, share, ours };
  return {
    tripped: true,
    share,
    ours,
    reason: `this run would delete ${planned} of our ${ours} record sets (${pct(share)}), more than the allowed ${pct(maxShare)} (ECSSD_MAX_DELETE_SHARE); deleted nothing. A partial inventory or a network problem between the reconciler and the hosts looks like this; if the deletions are right, raise the share for one run.`,
  };
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}
