// What the inventory says about a record of ours, before the reconciler acts on it: does the container its
// SetIdentifier names publish the SRV record's port on that host? The zone can be written by others, and a
// SetIdentifier is only text; ECS's network bindings (or Docker's port bindings) are the truth. Pure.
import {
  canonicalName,
  type OwnedIdentity,
  parseSrvValue,
  type RecordSet,
  sameContainer,
  taskRecordName,
} from "../records";
import type { InventorySnapshot, PublishedPorts } from "./inventory";

type InstanceIdentity = Extract<OwnedIdentity, { kind: "instance" }>;

/**
 * `confirmed`: the inventory says this container publishes this port on this host, so a failing check there is
 * the task's. `forged`: the inventory says it does not, so the record was not written by our agent. `unknown`:
 * the inventory says nothing either way (a container it has not reported, a port it does not list): the
 * record is kept, but it is never the cause of a stop.
 */
export type Evidence = "confirmed" | "forged" | "unknown";

/** `_svc._tcp.<zone>` → `tcp`; undefined for a name without a protocol label. */
export function protocolOf(name: string): string | undefined {
  const label = canonicalName(name).split(".")[1];
  return label === "_tcp" || label === "_udp" ? label.slice(1) : undefined;
}

/** The container of `identity` among what the inventory reports published, if it reports it. */
function publishedFor(identity: InstanceIdentity, snapshot: InventorySnapshot): PublishedPorts | undefined {
  if (!snapshot.published) return undefined;
  for (const [id, ports] of snapshot.published) if (sameContainer(identity, id)) return ports;
  return undefined;
}

/** Judges one of the agent's SRV sets (an instance record) against what its container publishes. */
export function instanceEvidence(
  identity: InstanceIdentity,
  set: RecordSet,
  port: number | undefined,
  snapshot: InventorySnapshot,
): Evidence {
  const task = identity.taskId === undefined ? undefined : snapshot.tasks?.get(identity.taskId);
  if (task?.undescribed) return "unknown";
  // The agent leaves awsvpc tasks to the registrar: ECS runs them on their own ENI, not on the host's ports.
  if (task?.eniAddress !== undefined) return "forged";
  const published = publishedFor(identity, snapshot);
  const protocol = protocolOf(set.Name);
  if (published === undefined || protocol === undefined || port === undefined) return "unknown";
  const hostPorts = published.bindings.get(`${identity.containerPort}/${protocol}`);
  if (hostPorts !== undefined && hostPorts.size > 0) return hostPorts.has(port) ? "confirmed" : "forged";
  const within = (n: number, [from, to]: readonly [number, number]) => n >= from && n <= to;
  const ranges = published.ranges.filter(
    (r) => r.protocol === protocol && within(identity.containerPort, r.container),
  );
  // Which host port of its range the container port got is not said: any of them is the container's.
  if (ranges.length > 0) return ranges.some((r) => within(port, r.host)) ? "confirmed" : "forged";
  // Host network mode publishes a container port as itself. ECS cannot say whether a task runs in it, and a
  // host-mode container may serve a port its definition does not map: the agent then writes the container
  // port, which ECS neither confirms nor denies. Any other port the container does not publish is forged.
  if (port === identity.containerPort) return published.hostNetwork ? "confirmed" : "unknown";
  return "forged";
}

/**
 * Judges one of the registrar's sets of an awsvpc task against ECS: the A record must hold the task's ENI
 * address, an SRV record must point at the task's name on the container port its SetIdentifier names. Its AZ
 * set is not judged here.
 */
export function taskRecordEvidence(
  identity: Extract<OwnedIdentity, { kind: "task" | "task-instance" }>,
  set: RecordSet,
  snapshot: InventorySnapshot,
  zoneName: string,
): Evidence {
  const task = snapshot.tasks?.get(identity.taskId);
  if (task === undefined || task.undescribed || task.eniAddress === undefined) return "unknown";
  const values = set.ResourceRecords.map((r) => r.Value);
  // The AZ set beside the A set: ECS names the task's AZ, not its ID, so the inventory cannot judge it; it
  // goes with its task (staleTaskRecords).
  if (set.Type === "TXT") return "unknown";
  if (identity.kind === "task") {
    return values.length === 1 && values[0] === task.eniAddress ? "confirmed" : "forged";
  }
  const srv = values.length === 1 ? parseSrvValue(values[0] ?? "") : undefined;
  const agrees =
    srv !== undefined &&
    srv.port === identity.containerPort &&
    canonicalName(srv.target) === taskRecordName(identity.taskId, zoneName);
  return agrees ? "confirmed" : "forged";
}

/**
 * One container port of one host, however its SetIdentifier spells the container id (12 to 24 characters of
 * it): the agent writes one record set for it, so two of ours with this key under different names mean that
 * at least one was written by someone else.
 */
export function containerPortKey(identity: InstanceIdentity): string {
  return `${identity.hostId}|${identity.containerId.slice(0, 12)}|${identity.containerPort}`;
}
