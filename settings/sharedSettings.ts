// The settings more than one component reads, each written once: the zone, how records are shaped (the
// agent's and the registrar's), who may offer which name, the clusters, the host, the local endpoints, and
// whether metrics go to CloudWatch as EMF lines.
// A component's table takes them as they are, or with its own meaning.
import {
  checkDeployment,
  checkHostId,
  DEFAULT_MAX_PORTS_PER_CONTAINER,
  DEFAULT_SRV_TTL,
  DEFAULT_ZONE,
  normalizeZone,
  parseServiceOwners,
  type RoutingPolicy,
  type ServiceOwners,
} from "../records";
import { booleanCodec, choiceCodec, integerCodec, type Setting, urlCodec } from "./settingsTable";

export const ZONE_NAME: Setting<string> = {
  env: "ECSSD_ZONE_NAME",
  meaning: "zone name",
  default: DEFAULT_ZONE,
  parse: (text) => {
    const z = normalizeZone(text);
    return "zone" in z ? { value: z.zone } : { problems: [z.problem.message] };
  },
  format: (zone) => zone,
};

// Route53's ids are at most 32 characters; the readers have accepted up to 64, and a wrong id fails at the
// first call anyway, so the wider rule stays.
const ZONE_ID_TEXT = /^[A-Za-z0-9]{1,64}$/;

export const ZONE_ID: Setting<string> = {
  env: "ECSSD_ZONE_ID",
  meaning: "hosted zone id",
  unset: "looked up by name, private zones only",
  parse: (text) => {
    const id = text.replace(/^\/?hostedzone\//, "");
    return ZONE_ID_TEXT.test(id)
      ? { value: id }
      : { problems: [`must be a hosted zone id such as Z0123456789ABCDEFGHIJ, not "${text}"`] };
  },
  format: (id) => id,
};

export const SRV_TTL: Setting<number> = {
  env: "ECSSD_SRV_TTL",
  meaning: "TTL of SRV records, seconds",
  default: DEFAULT_SRV_TTL,
  ...integerCodec({ min: 0, max: 2_147_483_647 }),
};

export const ROUTING: Setting<RoutingPolicy> = {
  env: "ECSSD_ROUTING",
  meaning: "routing policy of the record sets: multivalue or weighted",
  default: "multivalue",
  ...choiceCodec<RoutingPolicy>(["multivalue", "weighted"]),
};

export const SERVICE_OWNERS: Setting<ServiceOwners> = {
  env: "ECSSD_SERVICE_OWNERS",
  meaning:
    'JSON map of service name to the task-definition families allowed to offer it, e.g. {"_calc._tcp":["calc"]}',
  unset: "anyone may offer any name",
  parse: (text) => {
    const parsed = parseServiceOwners(text);
    return "owners" in parsed
      ? { value: parsed.owners }
      : { problems: parsed.problems.map((p) => p.message) };
  },
  format: (owners) => JSON.stringify(Object.fromEntries([...owners].map(([name, fs]) => [name, [...fs]]))),
};

export const SERVICE_OWNERS_CLOSED: Setting<boolean> = {
  env: "ECSSD_SERVICE_OWNERS_CLOSED",
  meaning:
    "a closed namespace: a name ECSSD_SERVICE_OWNERS does not list may be offered by nobody (false: by anyone)",
  default: false,
  ...booleanCodec,
};

/**
 * How records under the agent's names are shaped and who may offer them: the agent's settings, which the
 * registrar shares so that a task's records look like a container's.
 */
export const RECORD_SETTINGS = {
  srvTtl: SRV_TTL,
  routing: ROUTING,
  serviceOwners: SERVICE_OWNERS,
  serviceOwnersClosed: SERVICE_OWNERS_CLOSED,
} as const;

/**
 * The rule between the two owners settings, the same for every reader and writer: a closed namespace lists at
 * least one name. With none it would refuse every service, and the reconciler judges ownership only when the
 * map lists something; surely a mistake, so it is named as one.
 */
export function closedNamespaceProblem(settings: {
  readonly serviceOwners?: ServiceOwners;
  readonly serviceOwnersClosed?: boolean;
}): string | undefined {
  if (settings.serviceOwnersClosed !== true || (settings.serviceOwners?.size ?? 0) > 0) return undefined;
  return `[${SERVICE_OWNERS_CLOSED.env}] needs ${SERVICE_OWNERS.env} to list at least one name: a closed namespace without one refuses every service`;
}

/**
 * How many declared ports one container may publish (records/portCap.ts): the agent's cap for its host's
 * containers, and the registrar's (and so the coalescer's task events') for each container of an awsvpc task.
 */
export const MAX_PORTS_PER_CONTAINER: Setting<number> = {
  env: "ECSSD_MAX_PORTS_PER_CONTAINER",
  meaning:
    "ports one container may publish; beyond it the lowest container ports are kept and the rest left out",
  default: DEFAULT_MAX_PORTS_PER_CONTAINER,
  ...integerCodec({ min: 1, max: 1_000 }),
};

export const ROUTE53_ENDPOINT: Setting<string> = {
  env: "ECSSD_ROUTE53_ENDPOINT",
  meaning: "Route53 API endpoint, such as the local zone's",
  unset: "AWS",
  ...urlCodec,
};

export const ECS_ENDPOINT: Setting<string> = {
  env: "ECSSD_ECS_ENDPOINT",
  meaning: "ECS API endpoint, such as moto's",
  unset: "AWS",
  ...urlCodec,
};

export const HOST_ID: Setting<string> = {
  env: "ECSSD_HOST_ID",
  meaning: "host id",
  parse: (text) => {
    const p = checkHostId(text);
    return p ? { problems: [p.message] } : { value: text };
  },
  format: (hostId) => hostId,
};

const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const CLUSTER_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster\/[A-Za-z0-9_-]{1,255}$/;
const isCluster = (c: string) => CLUSTER_NAME.test(c) || CLUSTER_ARN.test(c);

export const CLUSTERS: Setting<readonly string[]> = {
  env: "ECSSD_CLUSTERS",
  meaning: "comma-separated cluster names or ARNs",
  default: [],
  unset: "all clusters",
  parse: (text) => {
    const clusters: string[] = [];
    const problems: string[] = [];
    for (const raw of text.split(",")) {
      const c = raw.trim();
      if (c === "") continue;
      if (!isCluster(c)) {
        problems.push(
          `"${c}" is neither a cluster name (letters, digits, "-" and "_", at most 255) nor a cluster ARN`,
        );
      } else if (!clusters.includes(c)) clusters.push(c);
    }
    return problems.length > 0 ? { problems } : { value: clusters };
  },
  format: (clusters) => {
    // A comma inside a name would read back as two clusters.
    for (const c of clusters) if (!isCluster(c)) throw new Error(`invalid cluster name "${c}"`);
    return clusters.join(",");
  },
};

export const DEPLOYMENT: Setting<string> = {
  env: "ECSSD_DEPLOYMENT",
  meaning:
    "this deployment's mark in every SetIdentifier it writes (1 to 10 of a-z, 0-9, -); it touches only sets with its mark",
  unset: "unattributed ecssd1 SetIdentifiers, as before deployments had names: one deployment per zone",
  parse: (text) => {
    const p = checkDeployment(text);
    return p ? { problems: [p.message] } : { value: text };
  },
  format: (deployment) => deployment,
};

/**
 * Whether a component writes its metrics as CloudWatch EMF lines on stdout (metrics/README.md): `on` or `off`,
 * in any case. Every component reads it, the same way.
 */
export const EMF: Setting<boolean> = {
  env: "ECSSD_EMF",
  meaning: "write metrics as CloudWatch EMF lines to stdout: on or off",
  default: true,
  parse: (text) => {
    const lowered = text.toLowerCase();
    if (lowered === "on") return { value: true };
    if (lowered === "off") return { value: false };
    return { problems: [`must be "on" or "off", not "${text}"`] };
  },
  format: (on) => (on ? "on" : "off"),
};
