// The registrar's settings, one table for the reader of the environment and its writer (the Pulumi program):
// the zone, clusters and endpoints it shares with the reconciler (it runs beside it on the same cluster and
// zone), and the settings that shape records under the agent's names (ECSSD_SRV_TTL, ECSSD_ROUTING,
// ECSSD_SERVICE_OWNERS, ECSSD_SERVICE_OWNERS_CLOSED, ECSSD_MAX_PORTS_PER_CONTAINER), so a task's records look
// like a container's. Every bad setting is named at once.
import { availabilityZoneIdProblem, type RoutingPolicy, type ServiceOwners } from "../records";
import {
  fromEnvironment,
  readSettings,
  type Setting,
  type SettingsTable,
  writeSettings,
} from "../settings/settingsTable";
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
  /**
   * AZ name → AZ ID (ECSSD_AZ_IDS), for the tasks' AZ sets, for accounts whose role may not ask EC2; absent:
   * asked of EC2 (DescribeAvailabilityZones) once.
   */
  readonly azIds?: ReadonlyMap<string, string>;
}

/** An AZ name as ECS and EC2 spell it: us-east-1a, us-gov-west-1b, us-west-2-lax-1a. */
const AZ_NAME = /^[a-z]{2}(-[a-z0-9]+)+$/;

/** ECSSD_AZ_IDS: `us-east-1a=use1-az4,us-east-1b=use1-az6`, each AZ name of the region with its AZ ID. */
export const AZ_IDS: Setting<ReadonlyMap<string, string>> = {
  env: "ECSSD_AZ_IDS",
  meaning:
    "AZ name=AZ ID pairs, comma-separated (us-east-1a=use1-az4,us-east-1b=use1-az6), from `aws ec2 describe-availability-zones`: the AZ IDs of tasks' AZ sets, for a role that may not call it",
  unset: "asked of EC2 (DescribeAvailabilityZones) once",
  parse: (text) => {
    const ids = new Map<string, string>();
    const problems: string[] = [];
    for (const raw of text.split(",")) {
      const pair = raw.trim();
      if (pair === "") continue;
      const [name = "", azId = "", ...rest] = pair.split("=").map((p) => p.trim());
      const azProblem = availabilityZoneIdProblem(azId);
      if (rest.length > 0 || !AZ_NAME.test(name) || name.length > 64) {
        problems.push(`"${pair.slice(0, 80)}" is not <AZ name>=<AZ ID>, such as us-east-1a=use1-az4`);
      } else if (azProblem) {
        problems.push(`${name}: ${azProblem.message}`);
      } else if (ids.has(name) && ids.get(name) !== azId) {
        problems.push(`${name} is given two AZ IDs, ${ids.get(name)} and ${azId}`);
      } else ids.set(name, azId);
    }
    // Only separators (","): an empty mapping would turn the tasks' AZ sets off without a word.
    if (problems.length === 0 && ids.size === 0)
      problems.push("no <AZ name>=<AZ ID> pair, such as us-east-1a=use1-az4 (unset it to ask EC2)");
    return problems.length > 0 ? { problems } : { value: ids };
  },
  format: (ids) => {
    for (const [name, azId] of ids) {
      if (!AZ_NAME.test(name) || availabilityZoneIdProblem(azId))
        throw new Error(`invalid AZ name=ID pair "${name}=${azId}"`);
    }
    return [...ids].map(([name, azId]) => `${name}=${azId}`).join(",");
  },
};

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
  azIds: AZ_IDS,
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
