// The reconciler's settings, read from the environment (the Pulumi program and the local stack set these
// names). Every problem is collected and reported at once, so one deploy fixes them all.
import { checkHostId, DEFAULT_ZONE, normalizeZone, parseServiceOwners, type ServiceOwners } from "../records";
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
}

export const CONFIG_DEFAULTS = {
  zoneName: DEFAULT_ZONE,
  checkHealth: true,
  healthPath: "/health",
  healthTimeoutMs: 2_000,
  healthConcurrency: 64,
  healthAttempts: 3,
  stopUnhealthyTasks: false,
  dryRun: false,
  maxDeleteShare: 0.5,
  inventory: "ecs" as InventoryKind,
} as const;

/** The environment variables read by {@link configFromEnv}, in the order problems are reported. */
export const CONFIG_ENV_NAMES = [
  "ECSSD_ZONE_NAME",
  "ECSSD_ZONE_ID",
  "ECSSD_CLUSTERS",
  "ECSSD_CHECK_HEALTH",
  "ECSSD_HEALTH_PATH",
  "ECSSD_HEALTH_TIMEOUT_MS",
  "ECSSD_HEALTH_CONCURRENCY",
  "ECSSD_HEALTH_ATTEMPTS",
  "ECSSD_STOP_UNHEALTHY_TASKS",
  "ECSSD_DRY_RUN",
  "ECSSD_MAX_DELETE_SHARE",
  "ECSSD_ROUTE53_ENDPOINT",
  "ECSSD_ECS_ENDPOINT",
  "ECSSD_INVENTORY",
  "ECSSD_HOST_ID",
  "ECSSD_SERVICE_OWNERS",
] as const;

const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const CLUSTER_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster\/[A-Za-z0-9_-]{1,255}$/;
const ZONE_ID = /^[A-Za-z0-9]{1,64}$/;
// A path and optional query; no spaces or control characters, which could split the request line.
const HEALTH_PATH = /^\/[\x21-\x7e]*$/;

/**
 * Reads and validates the reconciler's settings from an environment. Unset or empty variables take
 * their defaults. Throws {@link ReconcilerConfigError} naming every problem:
 * `Invalid reconciler config:\n - [ECSSD_HEALTH_TIMEOUT_MS] must be ...`.
 */
export function configFromEnv(env: Readonly<Record<string, string | undefined>>): ReconcilerConfig {
  const problems: string[] = [];
  const get = (name: (typeof CONFIG_ENV_NAMES)[number]): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const bad = (name: string, message: string) => problems.push(`[${name}] ${message}`);

  let zoneName: string = CONFIG_DEFAULTS.zoneName;
  const zoneText = get("ECSSD_ZONE_NAME");
  if (zoneText !== undefined) {
    const z = normalizeZone(zoneText);
    if ("zone" in z) zoneName = z.zone;
    else bad("ECSSD_ZONE_NAME", z.problem.message);
  }

  let zoneId: string | undefined;
  const zoneIdText = get("ECSSD_ZONE_ID");
  if (zoneIdText !== undefined) {
    const id = zoneIdText.replace(/^\/?hostedzone\//, "");
    if (ZONE_ID.test(id)) zoneId = id;
    else bad("ECSSD_ZONE_ID", `must be a hosted zone id such as Z0123456789ABCDEFGHIJ, not "${zoneIdText}"`);
  }

  const clusters: string[] = [];
  for (const raw of (get("ECSSD_CLUSTERS") ?? "").split(",")) {
    const c = raw.trim();
    if (c === "") continue;
    if (CLUSTER_NAME.test(c) || CLUSTER_ARN.test(c)) {
      if (!clusters.includes(c)) clusters.push(c);
    } else {
      bad(
        "ECSSD_CLUSTERS",
        `"${c}" is neither a cluster name (letters, digits, "-" and "_", at most 255) nor a cluster ARN`,
      );
    }
  }

  const bool = (name: (typeof CONFIG_ENV_NAMES)[number], fallback: boolean): boolean => {
    const v = get(name);
    if (v === undefined) return fallback;
    const lowered = v.toLowerCase();
    if (["true", "1", "yes"].includes(lowered)) return true;
    if (["false", "0", "no"].includes(lowered)) return false;
    bad(name, `must be true or false, not "${v}"`);
    return fallback;
  };
  const int = (name: (typeof CONFIG_ENV_NAMES)[number], fallback: number, min: number, max: number) => {
    const v = get(name);
    if (v === undefined) return fallback;
    if (!/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max) {
      bad(name, `must be an integer from ${min} to ${max}, not "${v}"`);
      return fallback;
    }
    return Number(v);
  };

  const checkHealth = bool("ECSSD_CHECK_HEALTH", CONFIG_DEFAULTS.checkHealth);
  const healthPath = get("ECSSD_HEALTH_PATH") ?? CONFIG_DEFAULTS.healthPath;
  if (!HEALTH_PATH.test(healthPath)) {
    bad("ECSSD_HEALTH_PATH", `must start with "/" and contain no spaces or control characters`);
  }
  const healthTimeoutMs = int("ECSSD_HEALTH_TIMEOUT_MS", CONFIG_DEFAULTS.healthTimeoutMs, 1, 60_000);
  const healthConcurrency = int("ECSSD_HEALTH_CONCURRENCY", CONFIG_DEFAULTS.healthConcurrency, 1, 1_024);
  const healthAttempts = int("ECSSD_HEALTH_ATTEMPTS", CONFIG_DEFAULTS.healthAttempts, 1, 10);
  const stopUnhealthyTasks = bool("ECSSD_STOP_UNHEALTHY_TASKS", CONFIG_DEFAULTS.stopUnhealthyTasks);
  const dryRun = bool("ECSSD_DRY_RUN", CONFIG_DEFAULTS.dryRun);

  let maxDeleteShare: number = CONFIG_DEFAULTS.maxDeleteShare;
  const shareText = get("ECSSD_MAX_DELETE_SHARE");
  if (shareText !== undefined) {
    const n = Number(shareText);
    if (!/^[0-9.]+$/.test(shareText) || !Number.isFinite(n) || n < 0 || n > 1) {
      bad(
        "ECSSD_MAX_DELETE_SHARE",
        `must be a number from 0 to 1 (1 turns the safety valve off), not "${shareText}"`,
      );
    } else maxDeleteShare = n;
  }

  const endpoint = (name: "ECSSD_ROUTE53_ENDPOINT" | "ECSSD_ECS_ENDPOINT"): string | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (u.protocol === "http:" || u.protocol === "https:") return v;
    } catch {
      // reported below
    }
    bad(name, `must be an http:// or https:// URL, not "${v}"`);
    return undefined;
  };
  const route53Endpoint = endpoint("ECSSD_ROUTE53_ENDPOINT");
  const ecsEndpoint = endpoint("ECSSD_ECS_ENDPOINT");

  let inventory: InventoryKind = CONFIG_DEFAULTS.inventory;
  const inventoryText = get("ECSSD_INVENTORY");
  if (inventoryText !== undefined) {
    if (inventoryText === "ecs" || inventoryText === "docker") inventory = inventoryText;
    else bad("ECSSD_INVENTORY", `must be "ecs" or "docker", not "${inventoryText}"`);
  }
  const hostId = get("ECSSD_HOST_ID");
  if (hostId !== undefined) {
    const p = checkHostId(hostId);
    if (p) bad("ECSSD_HOST_ID", p.message);
  } else if (inventory === "docker") {
    bad("ECSSD_HOST_ID", "must be set when ECSSD_INVENTORY=docker: it names the one local host");
  }

  let serviceOwners: ServiceOwners | undefined;
  const ownersText = get("ECSSD_SERVICE_OWNERS");
  if (ownersText !== undefined) {
    const parsed = parseServiceOwners(ownersText);
    if ("problems" in parsed) for (const p of parsed.problems) bad("ECSSD_SERVICE_OWNERS", p.message);
    else serviceOwners = parsed.owners;
  }

  if (problems.length > 0) throw new ReconcilerConfigError(problems);
  const config: ReconcilerConfig = {
    zoneName,
    clusters,
    checkHealth,
    healthPath,
    healthTimeoutMs,
    healthConcurrency,
    healthAttempts,
    stopUnhealthyTasks,
    dryRun,
    maxDeleteShare,
    inventory,
    ...(zoneId !== undefined && { zoneId }),
    ...(route53Endpoint !== undefined && { route53Endpoint }),
    ...(ecsEndpoint !== undefined && { ecsEndpoint }),
    ...(hostId !== undefined && { hostId }),
    ...(serviceOwners !== undefined && { serviceOwners }),
  };
  return config;
}

/** The defaults with some settings replaced: what tests and the local stack start from. */
export function reconcilerConfig(overrides: Partial<ReconcilerConfig> = {}): ReconcilerConfig {
  return { ...CONFIG_DEFAULTS, clusters: [], ...overrides };
}
