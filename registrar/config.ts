// The registrar's settings, one table for the reader of the environment and its writer (the Pulumi program):
// the zone, clusters and endpoints it shares with the reconciler (it runs beside it on the same cluster and
// zone), and the settings that shape records under the agent's names (ECSSD_SRV_TTL, ECSSD_ROUTING,
// ECSSD_SERVICE_OWNERS, ECSSD_SERVICE_OWNERS_CLOSED, ECSSD_MAX_PORTS_PER_CONTAINER), so a task's records look
// like a container's. Every bad setting is named at once.
import type { RoutingPolicy, ServiceOwners } from "../records";
import { fromEnvironment, readSettings, type SettingsTable, writeSettings } from "../settings/settingsTable";
import {
  CLUSTERS,
  closedNamespaceProblem,
  DEPLOYMENT,
  ECS_ENDPOINT,
  EMF,
  MAX_PORTS_PER_CONTAINER,
  RECORD_SETTINGS,
  ROUTE53_ENDPOINT,
  ZONE_ID,
  ZONE_NAME,
} from "../settings/sharedSettings";

export interface RegistrarConfig {
  /** The zone name, normalized (lower case, no trailing dot). */
  readonly zoneName: string;
  /** The hosted zone id without `/hostedzone/`; looked up by name (private zones only) when absent. */
  readonly zoneId?: string;
  /** The clusters whose task events it applies; empty: any cluster's. */
  readonly clusters: readonly string[];
  readonly route53Endpoint?: string;
  readonly ecsEndpoint?: string;
  srvTtl: number;
  routing: RoutingPolicy;
  /** ECSSD_SERVICE_OWNERS, the agent's setting: awsvpc tasks are held to the same owners. */
  serviceOwners?: ServiceOwners;
  /** ECSSD_SERVICE_OWNERS_CLOSED, the agent's setting: a name the owners do not list may be offered by nobody. */
  serviceOwnersClosed: boolean;
  /** Its deployment's mark (ECSSD_DEPLOYMENT) in every set it writes; it touches only sets with that mark. */
  deployment?: string;
  /** ECSSD_MAX_PORTS_PER_CONTAINER, the agent's setting: declared ports one container of a task may publish. */
  maxPortsPerContainer: number;
  /** Whether each event's outcome goes to stdout as a CloudWatch EMF line (ECSSD_EMF). */
  readonly emf: boolean;
}

/** The registrar's settings: environment variable, default, range and meaning of each. */
export const REGISTRAR_SETTINGS: SettingsTable<RegistrarConfig> = {
  zoneName: ZONE_NAME,
  zoneId: ZONE_ID,
  clusters: { ...CLUSTERS, unset: "any cluster's events" },
  route53Endpoint: ROUTE53_ENDPOINT,
  ecsEndpoint: ECS_ENDPOINT,
  ...RECORD_SETTINGS,
  srvTtl: { ...RECORD_SETTINGS.srvTtl, meaning: "TTL of the task's records, seconds (the agent's)" },
  deployment: DEPLOYMENT,
  maxPortsPerContainer: MAX_PORTS_PER_CONTAINER,
  emf: EMF,
};

export class RegistrarConfigError extends Error {
  override name = "RegistrarConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`Invalid registrar config:\n${problems.map((p) => ` - ${p}`).join("\n")}`);
  }
}

/** Reads and validates the registrar's settings; throws {@link RegistrarConfigError} naming every problem. */
export function registrarConfigFromEnv(env: Readonly<Record<string, string | undefined>>): RegistrarConfig {
  const { values, problems } = readSettings(REGISTRAR_SETTINGS, fromEnvironment(env));
  const closed = closedNamespaceProblem(values);
  if (closed) problems.push(closed);
  if (problems.length > 0) throw new RegistrarConfigError(problems);
  return values as RegistrarConfig;
}

/**
 * The environment that gives the registrar `settings`: one variable per setting given, in the table's order;
 * the registrar takes its defaults for the rest. Throws for a value the registrar would refuse.
 */
export function registrarEnvironment(settings: Partial<RegistrarConfig>): Record<string, string> {
  const closed = closedNamespaceProblem(settings);
  if (closed) throw new Error(`cannot write ${closed}`);
  return writeSettings(REGISTRAR_SETTINGS, settings);
}
