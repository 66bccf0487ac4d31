// The coalescer's settings, one table for the reader of the environment, its writer (infra/, the local stack,
// the benches), `ecssd coalescer --help` and coalescer/README.md: the zone and its endpoint, where it listens,
// its share of the account's Route53 budget and its pace, and, for the ECS task events it applies as the
// registrar would, the registrar's own record settings under their names. Every bad setting is named at once.
import { isIP } from "node:net";
import type { RoutingPolicy, ServiceOwners } from "../records";
import { REGISTRAR_SETTINGS } from "../registrar/config";
import {
  fromEnvironment,
  integerCodec,
  readSettings,
  type Setting,
  type SettingsTable,
  urlCodec,
  writeSettings,
} from "../settings/settingsTable";
import {
  closedNamespaceProblem,
  EMF,
  ROUTE53_ENDPOINT,
  ZONE_ID,
  ZONE_NAME,
} from "../settings/sharedSettings";
import { COALESCER_TOKEN } from "./apiToken";
import {
  DEFAULT_ROUTE53_BUDGET,
  formatRoute53Budget,
  parseRoute53Budget,
  type Route53Budget,
} from "./route53Budget";

export interface CoalescerConfig {
  readonly zoneName: string;
  /** Looked up by name (private zones only) when absent. */
  readonly zoneId?: string;
  readonly route53Endpoint?: string;
  /** The address the HTTP API listens on. */
  readonly address: string;
  /** Its port; 0 picks a free one. */
  readonly port: number;
  /** The bearer token every request must carry; none: anyone who reaches the port may call it. */
  readonly token?: string;
  /** The shares of the account's Route53 request and change rates it may use. */
  readonly route53Budget: Route53Budget;
  /** How long the first change of a burst waits for others to share its request, ms. */
  readonly windowMs: number;
  /** The copy of the zone is listed again this often, seconds. */
  readonly relistSeconds: number;
  /** An SQS queue of ECS Task State Change events to apply as the registrar would; none: agents only. */
  readonly taskEventsQueueUrl?: string;
  // The registrar's settings, for the task events.
  readonly clusters: readonly string[];
  readonly srvTtl: number;
  readonly routing: RoutingPolicy;
  readonly serviceOwners?: ServiceOwners;
  readonly serviceOwnersClosed: boolean;
  readonly deployment?: string;
  readonly maxPortsPerContainer: number;
  /** Whether its metrics go to stdout as CloudWatch EMF lines (ECSSD_EMF). */
  readonly emf: boolean;
  /** AZ name → AZ ID for the tasks' AZ sets (ECSSD_AZ_IDS); absent: asked of EC2 once. */
  readonly azIds?: ReadonlyMap<string, string>;
}

const ADDRESS: Setting<string> = {
  env: "ECSSD_COALESCER_ADDRESS",
  meaning: "the address the coalescer's HTTP API listens on (0.0.0.0: every IPv4 interface)",
  default: "0.0.0.0",
  parse: (text) =>
    isIP(text) !== 0 ? { value: text } : { problems: [`must be an IPv4 or IPv6 address, not "${text}"`] },
  format: (address) => address,
};

const ROUTE53_BUDGET: Setting<Route53Budget> = {
  env: "ECSSD_ROUTE53_BUDGET",
  meaning:
    "the shares of the account's Route53 request and change rates the coalescer may use, each more than 0 and at most 1; the customer's own tools keep the rest",
  default: DEFAULT_ROUTE53_BUDGET,
  parse: parseRoute53Budget,
  format: formatRoute53Budget,
};

/** The coalescer's settings table. */
export const COALESCER_SETTINGS: SettingsTable<CoalescerConfig> = {
  zoneName: ZONE_NAME,
  zoneId: ZONE_ID,
  route53Endpoint: ROUTE53_ENDPOINT,
  address: ADDRESS,
  port: {
    env: "ECSSD_COALESCER_PORT",
    meaning: "the port of the coalescer's HTTP API (0: any free port)",
    default: 8053,
    ...integerCodec({ min: 0, max: 65_535 }),
  },
  token: COALESCER_TOKEN,
  route53Budget: ROUTE53_BUDGET,
  windowMs: {
    env: "ECSSD_COALESCER_WINDOW_MS",
    meaning: "how long the first change of a burst waits for other hosts' changes to share its request, ms",
    default: 250,
    ...integerCodec({ min: 0, max: 10_000 }),
  },
  relistSeconds: {
    env: "ECSSD_COALESCER_RELIST_SECONDS",
    meaning: "the coalescer's copy of the zone is listed again every N seconds (others write the zone too)",
    default: 300,
    ...integerCodec({ min: 10, max: 86_400 }),
  },
  taskEventsQueueUrl: {
    env: "ECSSD_TASK_EVENTS_QUEUE_URL",
    meaning:
      "an SQS queue of ECS Task State Change events (fed by the EventBridge rule), applied as the registrar would",
    unset: "no task events: the agents' changes only",
    ...urlCodec,
  },
  clusters: REGISTRAR_SETTINGS.clusters,
  srvTtl: REGISTRAR_SETTINGS.srvTtl,
  routing: REGISTRAR_SETTINGS.routing,
  serviceOwners: REGISTRAR_SETTINGS.serviceOwners,
  serviceOwnersClosed: REGISTRAR_SETTINGS.serviceOwnersClosed,
  deployment: REGISTRAR_SETTINGS.deployment,
  maxPortsPerContainer: REGISTRAR_SETTINGS.maxPortsPerContainer,
  emf: EMF,
  azIds: REGISTRAR_SETTINGS.azIds,
};

export class CoalescerConfigError extends Error {
  override name = "CoalescerConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`Invalid coalescer config:\n${problems.map((p) => ` - ${p}`).join("\n")}`);
  }
}

/** Reads and validates the coalescer's settings; throws {@link CoalescerConfigError} naming every problem. */
export function coalescerConfigFromEnv(env: Readonly<Record<string, string | undefined>>): CoalescerConfig {
  const { values, problems } = readSettings(COALESCER_SETTINGS, fromEnvironment(env));
  const closed = closedNamespaceProblem(values);
  if (closed) problems.push(closed);
  if (problems.length > 0) throw new CoalescerConfigError(problems);
  return values as CoalescerConfig;
}

/**
 * The environment that gives the coalescer `settings`: one variable per setting given, in the table's order; it
 * takes its defaults for the rest. Throws for a value the coalescer would refuse.
 */
export function coalescerEnvironment(settings: Partial<CoalescerConfig>): Record<string, string> {
  const closed = closedNamespaceProblem(settings);
  if (closed) throw new Error(`cannot write ${closed}`);
  return writeSettings(COALESCER_SETTINGS, settings);
}
