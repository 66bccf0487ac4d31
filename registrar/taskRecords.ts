// The record sets of one awsvpc task: its A record (`<taskId>.<zone>` → ENI address) and one SRV per declared
// port (`_svc._proto.<zone>` → `<prio> <weight> <containerPort> <taskId>.<zone>`), built by records/ so the
// contract is the agent's. Pure.
import {
  availabilityZoneRecordSet,
  capPorts,
  ownershipProblem,
  type Problem,
  type RecordSet,
  type RoutingPolicy,
  type ServiceOwners,
  taskAddressRecordSet,
  taskInstanceRecordSet,
  taskRecordName,
} from "../records";
import type { ContainerOffer } from "./taskDeclarations";

export interface TaskRecordSettings {
  zone: string;
  /** TTL of the task's record sets, as the agent's SRV TTL (ECSSD_SRV_TTL). */
  srvTtl: number;
  routing: RoutingPolicy;
  /** Who may offer which name (ECSSD_SERVICE_OWNERS), as for the agent; none: anyone may. */
  serviceOwners?: ServiceOwners;
  /** Its deployment's mark (ECSSD_DEPLOYMENT) in every set it writes; unset: unattributed `ecssd1task` sets. */
  deployment?: string;
  /** Declared ports one container may publish (ECSSD_MAX_PORTS_PER_CONTAINER), as for the agent; none: unbounded. */
  maxPortsPerContainer?: number;
}

export interface TaskRecords {
  /**
   * The A record first, then its AZ set when the task's AZ ID is known, then the SRV records; empty when the
   * task declares no service, or when its address is not known (SRV records without the A record they point at
   * are never written, nor deleted alone).
   */
  recordSets: RecordSet[];
  /** Where the task's record sets live (its A record's name, each SRV name), known even without an address. */
  names: string[];
  /** Declarations that could not be read or built; the other ports are still registered. */
  problems: (Problem & { container: string })[];
  /** `_svc._proto` of each SRV record, in order (for logs). */
  services: string[];
  /** Declared ports left out, over all the task's containers, because a container declared more than the cap. */
  portsOverCap: number;
}

/**
 * What the task should have in the zone once it serves at `address` (undefined: no address known yet), in
 * the AZ whose ID is `azId` (undefined: unknown, and then it has no AZ set).
 */
export function taskRecordSets(
  task: { taskId: string; family: string },
  address: string | undefined,
  offers: readonly ContainerOffer[],
  settings: TaskRecordSettings,
  azId?: string,
): TaskRecords {
  const { taskId } = task;
  const out: TaskRecords = { recordSets: [], names: [], problems: [], services: [], portsOverCap: 0 };
  const base = {
    zone: settings.zone,
    taskId,
    ttl: settings.srvTtl,
    routing: settings.routing,
    ...(settings.deployment !== undefined && { deployment: settings.deployment }),
  };
  for (const offer of offers) {
    for (const p of offer.declarations.problems) out.problems.push({ ...p, container: offer.container });
    if (offer.declarations.ignored) continue;
    // Capped per container, as the agent caps a container of its host: the same rule, the same line.
    const capped = capPorts(offer.declarations.services, settings.maxPortsPerContainer);
    if (capped.problem) out.problems.push({ ...capped.problem, container: offer.container });
    out.portsOverCap += capped.left;
    for (const service of capped.kept) {
      const notOwned = ownershipProblem(settings.serviceOwners, service, task.family);
      if (notOwned) {
        out.problems.push({ ...notOwned, container: offer.container });
        continue;
      }
      const built = taskInstanceRecordSet({ ...base, service });
      if ("problems" in built) {
        for (const p of built.problems) out.problems.push({ ...p, container: offer.container });
        continue;
      }
      out.recordSets.push(built.recordSet);
      out.services.push(service.srvName);
    }
  }
  if (out.recordSets.length === 0) return out;
  out.names = [...new Set([taskRecordName(taskId, settings.zone), ...out.recordSets.map((s) => s.Name)])];
  // The A record goes with the SRV records: they point at it, and nothing else does.
  const a = address === undefined ? undefined : taskAddressRecordSet({ ...base, address });
  if (a === undefined || "problems" in a) {
    if (a) out.problems.push(...a.problems.map((p) => ({ ...p, container: "(task)" })));
    out.recordSets = [];
    return out;
  }
  // The AZ set goes with the A set, in the same request: one is never in the zone without the other for long.
  const az = azId === undefined ? undefined : availabilityZoneRecordSet(a.recordSet, azId);
  if (az && "problems" in az) out.problems.push(...az.problems.map((p) => ({ ...p, container: "(task)" })));
  out.recordSets.unshift(a.recordSet, ...(az && "recordSet" in az ? [az.recordSet] : []));
  return out;
}
