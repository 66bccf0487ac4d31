// The registrar's settings: the reconciler's (zone, clusters, endpoints: it runs beside it on the same
// cluster and zone) plus the two that shape records, under the agent's names (ECSSD_SRV_TTL, ECSSD_ROUTING),
// so a task's records look like a container's. Every bad setting is named at once.

import { configFromEnv, type ReconcilerConfig } from "../reconciler/config";
import { ReconcilerConfigError } from "../reconciler/errors";
import { DEFAULT_SRV_TTL, parseServiceOwners, type RoutingPolicy, type ServiceOwners } from "../records";

export interface RegistrarConfig extends ReconcilerConfig {
  srvTtl: number;
  routing: RoutingPolicy;
  /** ECSSD_SERVICE_OWNERS, the agent's setting: awsvpc tasks are held to the same owners. */
  serviceOwners?: ServiceOwners;
}

export class RegistrarConfigError extends Error {
  override name = "RegistrarConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`Invalid registrar config:\n${problems.map((p) => ` - ${p}`).join("\n")}`);
  }
}

export function registrarConfigFromEnv(env: Readonly<Record<string, string | undefined>>): RegistrarConfig {
  const problems: string[] = [];
  let base: ReconcilerConfig | undefined;
  try {
    base = configFromEnv(env);
  } catch (err) {
    if (!(err instanceof ReconcilerConfigError)) throw err;
    problems.push(...err.problems);
  }
  const ttlText = env.ECSSD_SRV_TTL?.trim();
  const srvTtl = ttlText ? Number(ttlText) : DEFAULT_SRV_TTL;
  if (!/^\d+$/.test(ttlText ?? "0") || srvTtl > 2_147_483_647) {
    problems.push(`[ECSSD_SRV_TTL] "${ttlText}" must be a whole number of seconds`);
  }
  const routing = env.ECSSD_ROUTING?.trim() || "multivalue";
  if (routing !== "multivalue" && routing !== "weighted") {
    problems.push(`[ECSSD_ROUTING] "${routing}" must be multivalue or weighted`);
  }
  let serviceOwners: ServiceOwners | undefined;
  if (env.ECSSD_SERVICE_OWNERS !== undefined) {
    const parsed = parseServiceOwners(env.ECSSD_SERVICE_OWNERS);
    if ("problems" in parsed)
      problems.push(...parsed.problems.map((p) => `[ECSSD_SERVICE_OWNERS] ${p.message}`));
    else serviceOwners = parsed.owners;
  }
  if (base && base.inventory !== "ecs")
    problems.push("[ECSSD_INVENTORY] the registrar reads tasks from ECS: ecs");
  if (problems.length > 0 || base === undefined) throw new RegistrarConfigError(problems);
  return { ...base, srvTtl, routing: routing as RoutingPolicy, ...(serviceOwners && { serviceOwners }) };
}
