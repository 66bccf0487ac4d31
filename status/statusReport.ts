// The status of one deployment, pure: the zone's record sets + ECS's inventory + what each task declares →
// the instances of each service with their owner and health verdict, the drift both ways, the hosts whose agent
// is behind, and the zone's record-set count. No I/O: readStatus.ts feeds it, formatStatus.ts prints it.

import type { InventorySnapshot, LiveTask } from "../reconciler/inventory";
import {
  azIdOf,
  canonicalName,
  type DeploymentScope,
  type HealthMarker,
  hostRecordName,
  instanceKey,
  isWrittenByUs,
  type OwnedIdentity,
  ownedBy,
  ownerOf,
  parseHealthMarker,
  parseSetIdentifier,
  parseSrvValue,
  type RecordSet,
  type ZoneRecordSet,
} from "../records";
import type { RecordSetUsage } from "../route53/recordSetQuota";

/** What one task declares, read from its task definition. */
export interface TaskOffer {
  /** awsvpc tasks are the registrar's to publish; every other network mode the agent's on its host. */
  readonly awsvpc: boolean;
  readonly ports: readonly DeclaredPort[];
}

export interface DeclaredPort {
  /** `_calc._tcp`. */
  readonly srvName: string;
  readonly containerPort: number;
  /** The agent's check, when the port declares one: it enters DNS only after a pass. */
  readonly check?: "http" | "tcp";
}

/**
 * Who vouches for an instance, as the zone's markers say (docs/health.md):
 * - `agent-check`: its port declares a check; the agent writes it only while the check passes;
 * - `reconciler-check`: no agent check; in DNS until the reconciler's HTTP check fails;
 * - `ecs-check`: the registrar's (awsvpc) instance; ECS's health check decides when it is in DNS;
 * - `unhealthy`: the reconciler's verdict holds it out of DNS;
 * - `unhealthy-leaving`: a verdict is written and the instance is still in, on its way out.
 */
export type HealthVerdict =
  | "agent-check"
  | "reconciler-check"
  | "ecs-check"
  | "unhealthy"
  | "unhealthy-leaving";

export interface InstanceStatus {
  /** `_calc._tcp`. */
  readonly service: string;
  /** `10.0.0.5:32768`; absent when the zone holds no A record for the target. */
  readonly address?: string;
  readonly target: string;
  readonly port: number;
  readonly owner: "agent" | "registrar";
  readonly hostId?: string;
  readonly taskId?: string;
  readonly containerId?: string;
  readonly health: HealthVerdict;
  /** The verdict's time and what the failing check saw. */
  readonly healthDetail?: string;
  /** False when the zone has no SRV set for it (held out by a verdict). */
  readonly inDns: boolean;
  readonly setIdentifier: string;
}

export type DriftKind = "task-without-record" | "record-without-task" | "record-without-host";

export interface DriftItem {
  readonly kind: DriftKind;
  /** True when it counts (exit status 2); false for a task younger than the threshold, still pending. */
  readonly drift: boolean;
  readonly detail: string;
  readonly service?: string;
  readonly taskId?: string;
  readonly hostId?: string;
  readonly cluster?: string;
  readonly containerPort?: number;
  readonly owner?: "agent" | "registrar";
  /** How long the task has run, when ECS says when it started. A record carries no time: none for those. */
  readonly ageSeconds?: number;
  readonly record?: { readonly name: string; readonly type: string; readonly setIdentifier: string };
}

export interface HostStatus {
  readonly hostId: string;
  /** ECS reports its container instance ACTIVE or DRAINING. */
  readonly inEcs: boolean;
  /** Its A record's address, when the zone has one of ours. */
  readonly address?: string;
  /** The AZ ID its AZ set names, when the zone has one of ours beside its A record. */
  readonly azId?: string;
  /** Instances in the zone that name it. */
  readonly instances: number;
  /** Declared ports of its (agent-published) tasks that have run past the threshold. */
  readonly expected: number;
  /** Of those, how many have no record. */
  readonly missing: number;
  /** Its agent has not written what ECS says runs there for longer than the threshold. */
  readonly stale: boolean;
  readonly detail: string;
}

export interface StatusReport {
  readonly zone: { readonly name: string; readonly id: string };
  readonly checkedAt: string;
  readonly driftSeconds: number;
  readonly services: { readonly name: string; readonly instances: InstanceStatus[] }[];
  readonly drift: DriftItem[];
  readonly hosts: HostStatus[];
  readonly recordSets: {
    /** Record sets the listing returned, everyone's. */
    readonly listed: number;
    /** This deployment's (and unattributed) sets. */
    readonly ours: number;
    /** GetHostedZoneLimit's figures; absent when it could not be asked (`quotaError` says why). */
    readonly used?: number;
    readonly limit?: number;
    readonly share?: number;
    readonly quotaError?: string;
  };
  readonly inventory: Readonly<Record<string, number>>;
  /** What could not be judged: tasks ECS did not describe, task definitions that could not be read. */
  readonly notes: string[];
  /** True when any drift counts or any host is stale: the command exits 2. */
  readonly driftFound: boolean;
}

export interface StatusInput {
  readonly zone: { readonly name: string; readonly id: string };
  readonly sets: readonly ZoneRecordSet[];
  readonly snapshot: InventorySnapshot;
  /** What each task declares, by task id; a task absent here declares nothing we know of. */
  readonly offers: ReadonlyMap<string, TaskOffer>;
  readonly scope: DeploymentScope;
  readonly now: Date;
  readonly driftSeconds: number;
  readonly usage?: RecordSetUsage | { readonly error: string };
  readonly notes?: readonly string[];
}

type Owned = { set: RecordSet; identity: OwnedIdentity };

/** The status report of one zone and its clusters. */
export function statusReport(input: StatusInput): StatusReport {
  const zone = canonicalName(input.zone.name);
  const relative = (name: string) => {
    const n = canonicalName(name);
    return n.endsWith(`.${zone}`) ? n.slice(0, -zone.length - 1) : n;
  };
  const owned: Owned[] = [];
  for (const set of input.sets) {
    if (!isWrittenByUs(set)) continue;
    const identity = parseSetIdentifier(set.SetIdentifier);
    if (identity && ownedBy(identity, { ...input.scope, claimUnattributed: true }))
      owned.push({ set, identity });
  }
  const addresses = new Map<string, string>();
  for (const { set } of owned) {
    const value = set.ResourceRecords[0]?.Value;
    if (set.Type === "A" && value !== undefined) addresses.set(canonicalName(set.Name), value);
  }
  const markers = new Map<string, HealthMarker>();
  for (const { set } of owned) {
    const marker = set.Type === "TXT" ? parseHealthMarker(set) : undefined;
    if (marker) markers.set(instanceKey(set), marker);
  }

  const instances = instancesOf(owned, markers, addresses, relative, zone);
  const published = new Set(
    instances.flatMap((i) => {
      const port = containerPortOf(parseSetIdentifier(i.setIdentifier));
      return i.taskId !== undefined && port !== undefined ? [`${i.taskId}|${port}|${i.service}`] : [];
    }),
  );

  const ageOf = (task: LiveTask) =>
    task.startedAt === undefined
      ? undefined
      : Math.max(0, Math.floor((input.now.getTime() - task.startedAt.getTime()) / 1000));
  const old = (age: number | undefined) => age === undefined || age >= input.driftSeconds;

  const drift: DriftItem[] = [];
  const expectedByHost = new Map<string, { expected: number; missing: number }>();
  for (const task of input.snapshot.tasks?.values() ?? []) {
    const offer = input.offers.get(task.taskId);
    if (task.undescribed || offer === undefined) continue;
    const age = ageOf(task);
    const owner = offer.awsvpc ? "registrar" : "agent";
    for (const port of offer.ports) {
      const found = published.has(`${task.taskId}|${port.containerPort}|${port.srvName}`);
      if (!offer.awsvpc && task.hostId !== undefined && old(age)) {
        const counts = expectedByHost.get(task.hostId) ?? { expected: 0, missing: 0 };
        counts.expected++;
        if (!found) counts.missing++;
        expectedByHost.set(task.hostId, counts);
      }
      if (found) continue;
      const by = owner === "agent" ? `the agent on ${task.hostId ?? "its host"}` : "the registrar";
      const check = port.check ? `; it declares an agent ${port.check} check, which it may be failing` : "";
      const since = age === undefined ? "ECS does not say since when" : `running ${age} s`;
      drift.push({
        kind: "task-without-record",
        drift: old(age),
        detail: `task ${task.taskId} (${since}) declares ${port.srvName} on port ${port.containerPort}, and ${by} has published no record of it${check}`,
        service: port.srvName,
        taskId: task.taskId,
        ...(task.hostId !== undefined && { hostId: task.hostId }),
        cluster: task.cluster,
        containerPort: port.containerPort,
        owner,
        ...(age !== undefined && { ageSeconds: age }),
      });
    }
  }
  drift.push(...recordsWithoutTruth(owned, input.snapshot));

  const hosts = hostsOf(
    owned,
    input.snapshot,
    addresses,
    instances,
    expectedByHost,
    zone,
    input.driftSeconds,
  );
  const usage = input.usage;
  const services = [...groupBy(instances, (i) => i.service)]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, list]) => ({ name, instances: list }));
  return {
    zone: { name: zone, id: input.zone.id },
    checkedAt: input.now.toISOString(),
    driftSeconds: input.driftSeconds,
    services,
    drift,
    hosts,
    recordSets: {
      listed: input.sets.length,
      ours: owned.length,
      ...(usage !== undefined &&
        ("error" in usage
          ? { quotaError: usage.error }
          : { used: usage.used, limit: usage.limit, share: usage.limit > 0 ? usage.used / usage.limit : 1 })),
    },
    inventory: input.snapshot.counts,
    notes: [...(input.notes ?? [])],
    driftFound: drift.some((d) => d.drift) || hosts.some((h) => h.stale),
  };
}

function containerPortOf(identity: OwnedIdentity | undefined): number | undefined {
  return identity?.kind === "instance" || identity?.kind === "task-instance"
    ? identity.containerPort
    : undefined;
}

/** Every instance the zone shows: SRV sets of ours, and instances a verdict holds out of DNS. */
function instancesOf(
  owned: readonly Owned[],
  markers: ReadonlyMap<string, HealthMarker>,
  addresses: ReadonlyMap<string, string>,
  relative: (name: string) => string,
  zone: string,
): InstanceStatus[] {
  const out: InstanceStatus[] = [];
  const inDns = new Set<string>();
  for (const { set, identity } of owned) {
    if (set.Type !== "SRV") continue;
    const srv = parseSrvValue(set.ResourceRecords[0]?.Value ?? "");
    if (srv === undefined) continue;
    const key = instanceKey(set);
    inDns.add(key);
    const marker = markers.get(key);
    const health: HealthVerdict =
      marker?.kind === "verdict"
        ? "unhealthy-leaving"
        : marker?.kind === "agent-check"
          ? "agent-check"
          : ownerOf(identity) === "registrar"
            ? "ecs-check"
            : "reconciler-check";
    const target = canonicalName(srv.target);
    const address = addresses.get(target);
    out.push({
      service: relative(set.Name),
      ...(address !== undefined && { address: `${address}:${srv.port}` }),
      target,
      port: srv.port,
      owner: ownerOf(identity),
      ...identityFields(identity),
      health,
      ...(marker?.kind === "verdict" && { healthDetail: verdictText(marker) }),
      inDns: true,
      setIdentifier: set.SetIdentifier,
    });
  }
  for (const { set, identity } of owned) {
    const marker = markers.get(instanceKey(set));
    if (set.Type !== "TXT" || marker?.kind !== "verdict" || inDns.has(instanceKey(set))) continue;
    if (identity.kind !== "instance") continue;
    const target = hostRecordName(identity.hostId, zone);
    const address = addresses.get(target);
    out.push({
      service: relative(set.Name),
      ...(address !== undefined && { address: `${address}:${marker.port}` }),
      target,
      port: marker.port,
      owner: "agent",
      ...identityFields(identity),
      health: "unhealthy",
      healthDetail: verdictText(marker),
      inDns: false,
      setIdentifier: set.SetIdentifier,
    });
  }
  return out;
}

function verdictText(marker: Extract<HealthMarker, { kind: "verdict" }>): string {
  return `since ${marker.since}${marker.detail ? `: ${marker.detail}` : ""}`;
}

function identityFields(identity: OwnedIdentity): { hostId?: string; taskId?: string; containerId?: string } {
  if (identity.kind === "instance") {
    return {
      hostId: identity.hostId,
      containerId: identity.containerId,
      ...(identity.taskId !== undefined && { taskId: identity.taskId }),
    };
  }
  if (identity.kind === "host") return { hostId: identity.hostId };
  return { taskId: identity.taskId };
}

/** Our record sets whose task ECS does not run, or whose host is not an ACTIVE or DRAINING container instance. */
function recordsWithoutTruth(owned: readonly Owned[], snapshot: InventorySnapshot): DriftItem[] {
  const out: DriftItem[] = [];
  for (const { set, identity } of owned) {
    const record = { name: set.Name, type: set.Type, setIdentifier: set.SetIdentifier };
    const taskId = "taskId" in identity ? identity.taskId : undefined;
    const base = { drift: true, record, owner: ownerOf(identity), ...identityFields(identity) };
    if (taskId !== undefined && snapshot.tasks !== undefined && !snapshot.tasks.has(taskId)) {
      out.push({
        ...base,
        kind: "record-without-task",
        detail: `${set.Type} ${set.Name} (${set.SetIdentifier}) names task ${taskId}, which ECS does not run`,
      });
      continue;
    }
    const hostId = identity.kind === "host" || identity.kind === "instance" ? identity.hostId : undefined;
    if (hostId !== undefined && !snapshot.hosts.has(hostId)) {
      out.push({
        ...base,
        kind: "record-without-host",
        detail: `${set.Type} ${set.Name} (${set.SetIdentifier}) names host ${hostId}, which is no ACTIVE or DRAINING container instance`,
      });
    }
  }
  return out;
}

/** Every host ECS or the zone knows, and whether its agent is behind. */
function hostsOf(
  owned: readonly Owned[],
  snapshot: InventorySnapshot,
  addresses: ReadonlyMap<string, string>,
  instances: readonly InstanceStatus[],
  expectedByHost: ReadonlyMap<string, { expected: number; missing: number }>,
  zone: string,
  driftSeconds: number,
): HostStatus[] {
  const ids = new Set<string>(snapshot.hosts);
  for (const { identity } of owned) if (identity.kind === "host") ids.add(identity.hostId);
  const out: HostStatus[] = [];
  for (const hostId of [...ids].sort()) {
    const inEcs = snapshot.hosts.has(hostId);
    const address = owned.some((o) => o.identity.kind === "host" && o.identity.hostId === hostId)
      ? addresses.get(hostRecordName(hostId, zone))
      : undefined;
    const azId = owned
      .filter((o) => o.identity.kind === "host" && o.identity.hostId === hostId)
      .map((o) => azIdOf(o.set))
      .find((id) => id !== undefined);
    const { expected, missing } = expectedByHost.get(hostId) ?? { expected: 0, missing: 0 };
    const hasRecord = address !== undefined;
    const stale = inEcs && expected > 0 && (missing > 0 || !hasRecord);
    const detail = !inEcs
      ? "not an ACTIVE or DRAINING container instance of the clusters read: its records are drift"
      : stale
        ? `its agent is behind: ${[
            ...(hasRecord ? [] : ["no host record"]),
            ...(missing > 0 ? [`${missing} of ${expected} declared instances missing`] : []),
          ].join(", ")} after more than ${driftSeconds} s`
        : expected === 0
          ? `no task here has declared a port for longer than ${driftSeconds} s: the zone cannot say whether its agent syncs`
          : `in step: ${expected} declared instances published`;
    out.push({
      hostId,
      inEcs,
      ...(address !== undefined && { address }),
      ...(azId !== undefined && { azId }),
      instances: instances.filter((i) => i.hostId === hostId).length,
      expected,
      missing,
      stale,
      detail,
    });
  }
  return out;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}
