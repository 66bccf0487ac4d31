// The agent's settings: environment variables, overridden by command-line flags, validated at start with
// every bad key named at once.
import {
  checkHostId,
  DEFAULT_SRV_TTL,
  DEFAULT_ZONE,
  normalizeZone,
  parseServiceOwners,
  type RoutingPolicy,
  type ServiceOwners,
} from "../records";

export interface AgentConfig {
  zoneName: string;
  /** Hosted zone id; looked up by name (private zones only) when absent. */
  zoneId?: string;
  /** Host id and address; read from IMDSv2 when absent. */
  hostId?: string;
  hostIp?: string;
  /** Route53 API endpoint override (the local zone). */
  route53Endpoint?: string;
  srvTtl: number;
  routing: RoutingPolicy;
  /** Prometheus metrics port; no metrics server when absent. 0 picks a free port. */
  metricsPort?: number;
  resyncSeconds: number;
  flushMs: number;
  /** Which task-definition families may offer which service names (ECSSD_SERVICE_OWNERS); empty: anyone. */
  serviceOwners?: ServiceOwners;
}

/** Each setting: its environment variable and its flag (commander's camel-case option name). */
export const SETTINGS = {
  zoneName: { env: "ECSSD_ZONE_NAME", flag: "--zone-name" },
  zoneId: { env: "ECSSD_ZONE_ID", flag: "--zone-id" },
  hostId: { env: "ECSSD_HOST_ID", flag: "--host-id" },
  hostIp: { env: "ECSSD_HOST_IP", flag: "--host-ip" },
  route53Endpoint: { env: "ECSSD_ROUTE53_ENDPOINT", flag: "--route53-endpoint" },
  srvTtl: { env: "ECSSD_SRV_TTL", flag: "--srv-ttl" },
  routing: { env: "ECSSD_ROUTING", flag: "--routing" },
  metricsPort: { env: "ECSSD_METRICS_PORT", flag: "--metrics-port" },
  resyncSeconds: { env: "ECSSD_RESYNC_SECONDS", flag: "--resync-seconds" },
  flushMs: { env: "ECSSD_FLUSH_MS", flag: "--flush-ms" },
  serviceOwners: { env: "ECSSD_SERVICE_OWNERS", flag: "--service-owners" },
} as const satisfies Record<keyof AgentConfig, { env: string; flag: string }>;

export type ConfigKey = keyof typeof SETTINGS;

export class AgentConfigError extends Error {
  override name = "AgentConfigError";
  constructor(readonly problems: string[]) {
    super(`Invalid agent config:\n${problems.map((p) => ` - ${p}`).join("\n")}`);
  }
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Reads and validates the settings; flags win over the environment. Throws AgentConfigError listing every problem. */
export function loadAgentConfig(
  env: Record<string, string | undefined>,
  flags: Partial<Record<ConfigKey, string | undefined>> = {},
): AgentConfig {
  const problems: string[] = [];
  const raw = (key: ConfigKey): { value: string; source: string } | undefined => {
    const flag = flags[key];
    if (flag !== undefined) return { value: String(flag).trim(), source: SETTINGS[key].flag };
    const v = env[SETTINGS[key].env];
    if (v !== undefined && v.trim() !== "") return { value: v.trim(), source: SETTINGS[key].env };
    return undefined;
  };
  const integer = (key: ConfigKey, min: number, max: number, fallback?: number): number | undefined => {
    const r = raw(key);
    if (!r) return fallback;
    if (!/^\d+$/.test(r.value) || Number(r.value) < min || Number(r.value) > max) {
      problems.push(`[${r.source}] "${r.value}" must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return Number(r.value);
  };

  const zoneRaw = raw("zoneName");
  let zoneName = DEFAULT_ZONE;
  if (zoneRaw) {
    const z = normalizeZone(zoneRaw.value);
    if ("problem" in z) problems.push(`[${zoneRaw.source}] ${z.problem.message}`);
    else zoneName = z.zone;
  }
  const config: AgentConfig = {
    zoneName,
    srvTtl: integer("srvTtl", 0, 2_147_483_647, DEFAULT_SRV_TTL) as number,
    routing: "multivalue",
    resyncSeconds: integer("resyncSeconds", 1, 86_400, 60) as number,
    flushMs: integer("flushMs", 0, 10_000, 75) as number,
  };
  const metricsPort = integer("metricsPort", 0, 65_535);
  if (metricsPort !== undefined) config.metricsPort = metricsPort;

  const zoneId = raw("zoneId");
  if (zoneId) {
    const id = zoneId.value.replace(/^\/?hostedzone\//, "");
    if (!/^[A-Za-z0-9]{1,32}$/.test(id))
      problems.push(`[${zoneId.source}] "${zoneId.value}" is not a hosted zone id`);
    else config.zoneId = id;
  }
  const hostId = raw("hostId");
  if (hostId) {
    const p = checkHostId(hostId.value);
    if (p) problems.push(`[${hostId.source}] ${p.message}`);
    else config.hostId = hostId.value;
  }
  const hostIp = raw("hostIp");
  if (hostIp) {
    if (!IPV4.test(hostIp.value))
      problems.push(`[${hostIp.source}] "${hostIp.value}" is not a dotted IPv4 address`);
    else config.hostIp = hostIp.value;
  }
  const endpoint = raw("route53Endpoint");
  if (endpoint) {
    let ok = false;
    try {
      ok = ["http:", "https:"].includes(new URL(endpoint.value).protocol);
    } catch {}
    if (!ok) problems.push(`[${endpoint.source}] "${endpoint.value}" is not an http(s) URL`);
    else config.route53Endpoint = endpoint.value;
  }
  const routing = raw("routing");
  if (routing) {
    if (routing.value !== "multivalue" && routing.value !== "weighted") {
      problems.push(`[${routing.source}] "${routing.value}" must be multivalue or weighted`);
    } else config.routing = routing.value;
  }
  const owners = raw("serviceOwners");
  if (owners) {
    const parsed = parseServiceOwners(owners.value);
    if ("problems" in parsed)
      for (const p of parsed.problems) problems.push(`[${owners.source}] ${p.subject}: ${p.message}`);
    else config.serviceOwners = parsed.owners;
  }
  if (problems.length > 0) throw new AgentConfigError(problems);
  return config;
}
