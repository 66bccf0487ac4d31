// The reconciler's settings, one table from which the reader of the environment and its writer (the Pulumi
// program, the local stack) both come. Every problem is collected and reported at once, so one deploy fixes
// them all.
import type { ServiceOwners } from "../records";
import {
  booleanCodec,
  choiceCodec,
  defaultsOf,
  fromEnvironment,
  integerCodec,
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
  HOST_ID,
  ROUTE53_ENDPOINT,
  SERVICE_OWNERS,
  SERVICE_OWNERS_CLOSED,
  ZONE_ID,
  ZONE_NAME,
} from "../settings/sharedSettings";
import { ReconcilerConfigError } from "./errors";

export type InventoryKind = "ecs" | "docker";

/** Everything one reconcile run needs to know; tests build it directly, the handler reads it from the environment. */
export interface ReconcilerConfig {
  /** The zone name, normalized (lower case, no trailing dot). */
  readonly zoneName: string;
  /** The hosted zone id without `/hostedzone/`; looked up by name (private zones only) when absent. */
  readonly zoneId?: string;
  /** Cluster names or ARNs; empty means every cluster of the account and region. */
  readonly clusters: readonly string[];
  readonly checkHealth: boolean;
  readonly healthPath: string;
  readonly healthTimeoutMs: number;
  readonly healthConcurrency: number;
  readonly healthAttempts: number;
  readonly stopUnhealthyTasks: boolean;
  readonly dryRun: boolean;
  /** A run that would delete more than this share (0–1) of our record sets deletes nothing. */
  readonly maxDeleteShare: number;
  readonly route53Endpoint?: string;
  readonly ecsEndpoint?: string;
  readonly inventory: InventoryKind;
  /** The single host of the docker inventory (the local stack's configured host id). */
  readonly hostId?: string;
  /**
   * Who may offer which name (ECSSD_SERVICE_OWNERS, the agent's and the registrar's setting): a record of a
   * listed name whose task's family may not offer it is deleted. Undefined: every name is open.
   */
  readonly serviceOwners?: ServiceOwners;
  /**
   * A closed namespace (ECSSD_SERVICE_OWNERS_CLOSED, the writers' setting): a record of a name the owners do
   * not list is deleted as not owned, whoever wrote it.
   */
  readonly serviceOwnersClosed: boolean;
  /** Its deployment's mark (ECSSD_DEPLOYMENT): it judges only sets with that mark. Unset: unattributed sets. */
  readonly deployment?: string;
  /**
   * Also judge unattributed (`ecssd1`) sets as this deployment's: for a zone only this deployment ever wrote
   * to before deployments had names. Off: they are left alone and counted.
   */
  readonly claimUnattributed: boolean;
  /** Whether each run's metrics go to stdout as a CloudWatch EMF line (ECSSD_EMF). */
  readonly emf: boolean;
}

// A path and optional query; no spaces or control characters, which could split the request line.
const HEALTH_PATH = /^\/[\x21-\x7e]*$/;

/**
 * The reconciler's settings: environment variable, default, range and meaning of each, in the order problems
 * are reported. The reader ({@link configFromEnv}), the writer ({@link reconcilerEnvironment}), the Pulumi
 * program's defaults and the CLI's help all come from it.
 */
export const RECONCILER_SETTINGS = {
  zoneName: ZONE_NAME,
  zoneId: ZONE_ID,
  clusters: CLUSTERS,
  checkHealth: { env: "ECSSD_CHECK_HEALTH", meaning: "HTTP health checks", default: true, ...booleanCodec },
  healthPath: {
    env: "ECSSD_HEALTH_PATH",
    meaning: "path (and query) checked",
    default: "/health",
    parse: (text) =>
      HEALTH_PATH.test(text)
        ? { value: text }
        : { problems: [`must start with "/" and contain no spaces or control characters`] },
    format: (path) => path,
  },
  healthTimeoutMs: {
    env: "ECSSD_HEALTH_TIMEOUT_MS",
    meaning: "timeout of one attempt, milliseconds",
    default: 2_000,
    ...integerCodec({ min: 1, max: 60_000 }),
  },
  healthConcurrency: {
    env: "ECSSD_HEALTH_CONCURRENCY",
    meaning: "checks in flight",
    default: 64,
    ...integerCodec({ min: 1, max: 1_024 }),
  },
  healthAttempts: {
    env: "ECSSD_HEALTH_ATTEMPTS",
    meaning: "attempts before an instance is unhealthy",
    default: 3,
    ...integerCodec({ min: 1, max: 10 }),
  },
  stopUnhealthyTasks: {
    env: "ECSSD_STOP_UNHEALTHY_TASKS",
    meaning: "StopTask for instances that fail",
    default: false,
    ...booleanCodec,
  },
  dryRun: {
    env: "ECSSD_DRY_RUN",
    meaning: "decide and report, change nothing",
    default: false,
    ...booleanCodec,
  },
  maxDeleteShare: {
    env: "ECSSD_MAX_DELETE_SHARE",
    meaning:
      "safety valve: a run that would delete more than this share of our records deletes nothing; 1 turns it off",
    default: 0.5,
    range: { min: 0, max: 1 },
    parse: (text) => {
      const n = Number(text);
      return /^[0-9.]+$/.test(text) && Number.isFinite(n) && n >= 0 && n <= 1
        ? { value: n }
        : { problems: [`must be a number from 0 to 1 (1 turns the safety valve off), not "${text}"`] };
    },
    format: (share) => plainDecimal(share),
  },
  route53Endpoint: ROUTE53_ENDPOINT,
  ecsEndpoint: ECS_ENDPOINT,
  inventory: {
    env: "ECSSD_INVENTORY",
    meaning: "where tasks are read: ecs or docker",
    default: "ecs",
    ...choiceCodec<InventoryKind>(["ecs", "docker"]),
  },
  hostId: {
    ...HOST_ID,
    meaning: "the one host of the docker inventory",
    unset: "none; required with docker",
  },
  serviceOwners: SERVICE_OWNERS,
  serviceOwnersClosed: SERVICE_OWNERS_CLOSED,
  deployment: DEPLOYMENT,
  claimUnattributed: {
    env: "ECSSD_CLAIM_UNATTRIBUTED",
    meaning:
      "also judge unattributed (ecssd1) record sets as this deployment's: only for a zone no other deployment ever wrote to",
    default: false,
    ...booleanCodec,
  },
  emf: EMF,
} as const satisfies SettingsTable<ReconcilerConfig>;

/** The defaults of {@link RECONCILER_SETTINGS}: every setting but those that are absent when unset. */
export const CONFIG_DEFAULTS = defaultsOf<ReconcilerConfig>(RECONCILER_SETTINGS) as Omit<
  ReconcilerConfig,
  "zoneId" | "route53Endpoint" | "ecsEndpoint" | "hostId" | "serviceOwners" | "deployment"
>;

/** The environment variables read by {@link configFromEnv}, in the order problems are reported. */
export const CONFIG_ENV_NAMES: readonly string[] = Object.values<Setting<unknown>>(RECONCILER_SETTINGS).map(
  (s) => s.env,
);

/**
 * Reads and validates the reconciler's settings from an environment. Unset or empty variables take
 * their defaults. Throws {@link ReconcilerConfigError} naming every problem:
 * `Invalid reconciler config:\n - [ECSSD_HEALTH_TIMEOUT_MS] must be ...`.
 */
export function configFromEnv(env: Readonly<Record<string, string | undefined>>): ReconcilerConfig {
  const { values, problems } = readSettings<ReconcilerConfig>(RECONCILER_SETTINGS, fromEnvironment(env));
  if (values.inventory === "docker" && values.hostId === undefined && !problems.some(aboutHostId)) {
    problems.push("[ECSSD_HOST_ID] must be set when ECSSD_INVENTORY=docker: it names the one local host");
  }
  const closed = closedNamespaceProblem(values);
  if (closed) problems.push(closed);
  if (problems.length > 0) throw new ReconcilerConfigError(problems);
  return values as ReconcilerConfig;
}

const aboutHostId = (problem: string) => problem.startsWith(`[${RECONCILER_SETTINGS.hostId.env}]`);

/** The reconciler's config read from an environment (another name of {@link configFromEnv}). */
export const reconcilerConfigFromEnv = configFromEnv;

/**
 * The environment that gives the reconciler `settings`: one variable per setting given, in the table's
 * order; the reconciler takes its defaults for the rest. Throws for a value the reconciler would refuse.
 */
export function reconcilerEnvironment(settings: Partial<ReconcilerConfig>): Record<string, string> {
  const closed = closedNamespaceProblem(settings);
  if (closed) throw new Error(`cannot write ${closed}`);
  return writeSettings<ReconcilerConfig>(RECONCILER_SETTINGS, settings);
}

/** A number in decimal notation without an exponent (String(1e-7) is "1e-7"), which reads back equal. */
function plainDecimal(n: number): string {
  const text = String(n);
  const m = /^(\d)(?:\.(\d+))?e-(\d+)$/.exec(text);
  if (!m) return text;
  return `0.${"0".repeat(Number(m[3]) - 1)}${m[1]}${m[2] ?? ""}`;
}

/** The defaults with some settings replaced: what tests and the local stack start from. */
export function reconcilerConfig(overrides: Partial<ReconcilerConfig> = {}): ReconcilerConfig {
  return { ...CONFIG_DEFAULTS, ...overrides };
}
