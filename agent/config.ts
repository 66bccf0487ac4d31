// The agent's settings: one table (environment variable, flag, default, range, meaning) from which the reader
// (environment variables, overridden by command-line flags, validated at start with every bad key named at
// once), the writer of the environment (infra/, the local stack, the benches) and the help text all come.
import { COALESCER_TOKEN } from "../coalescer/apiToken";
import { availabilityZoneIdProblem, type RoutingPolicy, type ServiceOwners } from "../records";
import {
  integerCodec,
  readSettings,
  type Setting,
  type SettingsTable,
  type SettingText,
  urlCodec,
  writeSettings,
} from "../settings/settingsTable";
import {
  closedNamespaceProblem,
  DEPLOYMENT,
  EMF,
  HOST_ID,
  MAX_PORTS_PER_CONTAINER,
  RECORD_SETTINGS,
  ROUTE53_ENDPOINT,
  ZONE_ID,
  ZONE_NAME,
} from "../settings/sharedSettings";

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
  /** A closed namespace (ECSSD_SERVICE_OWNERS_CLOSED): names the owners map does not list may be offered by nobody. */
  serviceOwnersClosed: boolean;
  /** The ECS agent's introspection API, which confirms containers' ECS labels; `off`: labels are believed. */
  ecsAgentUrl: string;
  /** Declared ports one container may publish; the lowest container ports are kept. */
  maxPortsPerContainer: number;
  /** A checked port's place in DNS changes at most once per this many seconds (first entry and stops excepted). */
  dnsHoldDownSeconds: number;
  /** This deployment's mark in its SetIdentifiers (ECSSD_DEPLOYMENT); unset: unattributed `ecssd1` sets. */
  deployment?: string;
  /** The zone's coalescer (ECSSD_COALESCER_URL): changes go to it, and the agent calls no Route53 API. */
  coalescerUrl?: string;
  /** The coalescer's bearer token (ECSSD_COALESCER_TOKEN), sent with every request to it. */
  coalescerToken?: string;
  /** Whether its metrics go to stdout as CloudWatch EMF lines (ECSSD_EMF, `--emf on|off`). */
  emf: boolean;
  /**
   * The AZ ID of this host (ECSSD_AZ_ID), written beside its host record; `off`: none is written and none is
   * asked for. Absent: asked once at start (the ECS task metadata endpoint, then IMDSv2), in the background.
   */
  azId?: string;
}

/** ECSSD_AZ_ID's value that writes no AZ set and asks no endpoint for one. */
export const AZ_ID_OFF = "off";

/** ECSSD_ECS_AGENT_URL's value that turns confirmation off. */
export const ECS_CONFIRMATION_OFF = "off";

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

type AgentSetting<T> = Setting<T> & { readonly flag: string };

/** Each setting: its environment variable, its flag (commander's camel-case option name), default and meaning. */
export const SETTINGS = {
  zoneName: { ...ZONE_NAME, flag: "--zone-name" },
  zoneId: { ...ZONE_ID, flag: "--zone-id" },
  hostId: { ...HOST_ID, meaning: "host id", unset: "EC2 instance id from IMDSv2", flag: "--host-id" },
  hostIp: {
    env: "ECSSD_HOST_IP",
    flag: "--host-ip",
    meaning: "host private IPv4",
    unset: "from IMDSv2",
    parse: (text: string) =>
      IPV4.test(text) ? { value: text } : { problems: [`"${text}" is not a dotted IPv4 address`] },
    format: (ip: string) => ip,
  },
  route53Endpoint: { ...ROUTE53_ENDPOINT, flag: "--route53-endpoint" },
  srvTtl: { ...RECORD_SETTINGS.srvTtl, flag: "--srv-ttl" },
  routing: { ...RECORD_SETTINGS.routing, flag: "--routing" },
  metricsPort: {
    env: "ECSSD_METRICS_PORT",
    flag: "--metrics-port",
    meaning: "serve Prometheus metrics on this port (0: any free port)",
    unset: "no metrics server",
    ...integerCodec({ min: 0, max: 65_535 }),
  },
  resyncSeconds: {
    env: "ECSSD_RESYNC_SECONDS",
    flag: "--resync-seconds",
    meaning: "full resync every N seconds",
    default: 60,
    ...integerCodec({ min: 1, max: 86_400 }),
  },
  flushMs: {
    env: "ECSSD_FLUSH_MS",
    flag: "--flush-ms",
    meaning: "gather changes this long before writing, milliseconds",
    default: 75,
    ...integerCodec({ min: 0, max: 10_000 }),
  },
  serviceOwners: { ...RECORD_SETTINGS.serviceOwners, flag: "--service-owners" },
  serviceOwnersClosed: { ...RECORD_SETTINGS.serviceOwnersClosed, flag: "--service-owners-closed" },
  ecsAgentUrl: {
    env: "ECSSD_ECS_AGENT_URL",
    flag: "--ecs-agent-url",
    meaning:
      "the ECS agent's introspection API, asked which task and family a container with ECS labels belongs to ('off': believe the labels)",
    default: "http://localhost:51678",
    parse: (text: string) =>
      text.toLowerCase() === ECS_CONFIRMATION_OFF ? { value: ECS_CONFIRMATION_OFF } : urlCodec.parse(text),
    format: (value: string) => value,
  },
  maxPortsPerContainer: { ...MAX_PORTS_PER_CONTAINER, flag: "--max-ports-per-container" },
  dnsHoldDownSeconds: {
    env: "ECSSD_DNS_HOLD_DOWN_SECONDS",
    flag: "--dns-hold-down-seconds",
    meaning:
      "a checked port enters or leaves DNS at most once per N seconds (its first entry and a container's stop are never held)",
    default: 10,
    ...integerCodec({ min: 1, max: 3_600 }),
  },
  deployment: { ...DEPLOYMENT, flag: "--deployment" },
  coalescerUrl: {
    env: "ECSSD_COALESCER_URL",
    flag: "--coalescer-url",
    meaning:
      "the zone's coalescer (`ecssd coalescer`): the agent sends its changes to it and makes no Route53 request",
    unset: "the agent writes Route53 itself",
    ...urlCodec,
  },
  coalescerToken: {
    ...COALESCER_TOKEN,
    flag: "--coalescer-token",
    unset: "no token is sent (a coalescer that has one refuses the agent)",
  },
  emf: { ...EMF, flag: "--emf" },
  azId: {
    env: "ECSSD_AZ_ID",
    flag: "--az-id",
    meaning:
      "the AZ ID this host runs in (use1-az4, not the name us-east-1a), written as a TXT set beside its host record for clients that prefer their own AZ ('off': none is written, nothing is asked)",
    unset: "asked once at start: the ECS task metadata endpoint, then IMDSv2; unknown, no AZ set is written",
    parse: (text: string) => {
      if (text.toLowerCase() === AZ_ID_OFF) return { value: AZ_ID_OFF };
      const p = availabilityZoneIdProblem(text);
      return p ? { problems: [p.message] } : { value: text };
    },
    format: (value: string) => value,
  },
} as const satisfies { readonly [K in keyof AgentConfig]-?: AgentSetting<NonNullable<AgentConfig[K]>> };

/** The agent's settings table. */
export const AGENT_SETTINGS: SettingsTable<AgentConfig> = SETTINGS;

export type ConfigKey = keyof typeof SETTINGS;

export class AgentConfigError extends Error {
  override name = "AgentConfigError";
  constructor(readonly problems: string[]) {
    super(`Invalid agent config:\n${problems.map((p) => ` - ${p}`).join("\n")}`);
  }
}

/** Reads and validates the settings; flags win over the environment. Throws AgentConfigError listing every problem. */
export function loadAgentConfig(
  env: Record<string, string | undefined>,
  flags: Partial<Record<ConfigKey, string | undefined>> = {},
): AgentConfig {
  const lookup = (key: ConfigKey): SettingText | undefined => {
    const flag = flags[key];
    if (flag !== undefined) return { text: String(flag).trim(), source: SETTINGS[key].flag };
    const v = env[SETTINGS[key].env];
    if (v !== undefined && v.trim() !== "") return { text: v.trim(), source: SETTINGS[key].env };
    return undefined;
  };
  const { values, problems } = readSettings(AGENT_SETTINGS, lookup);
  const closed = closedNamespaceProblem(values);
  if (closed) problems.push(closed);
  if (problems.length > 0) throw new AgentConfigError(problems);
  return values as AgentConfig;
}

/** The agent's config read from an environment alone (no flags). */
export function agentConfigFromEnv(env: Record<string, string | undefined>): AgentConfig {
  return loadAgentConfig(env);
}

/**
 * The environment that gives the agent `settings`: one variable per setting given, in the table's order; the
 * agent takes its defaults for the rest. Throws for a value the agent would refuse.
 */
export function agentEnvironment(settings: Partial<AgentConfig>): Record<string, string> {
  const closed = closedNamespaceProblem(settings);
  if (closed) throw new Error(`cannot write ${closed}`);
  return writeSettings(AGENT_SETTINGS, settings);
}
