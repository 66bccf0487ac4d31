// `ecssd status`'s settings: the zone and endpoint settings every other command reads (one table entry each,
// shared from settings/sharedSettings.ts), and the drift threshold. Every problem is collected and reported
// at once, as the other components do.
import {
  fromEnvironment,
  integerCodec,
  readSettings,
  type Setting,
  type SettingsTable,
  type SettingText,
} from "../settings/settingsTable";
import {
  CLUSTERS,
  DEPLOYMENT,
  ECS_ENDPOINT,
  ROUTE53_ENDPOINT,
  ZONE_ID,
  ZONE_NAME,
} from "../settings/sharedSettings";

export interface StatusConfig {
  /** The zone name, normalized (lower case, no trailing dot). */
  readonly zoneName: string;
  /** The hosted zone id; looked up by name (private zones only) when absent. */
  readonly zoneId?: string;
  /** Cluster names or ARNs; empty means every cluster of the account and region. */
  readonly clusters: readonly string[];
  readonly route53Endpoint?: string;
  readonly ecsEndpoint?: string;
  /** Whose record sets are shown: this deployment's (and unattributed `ecssd1` ones). */
  readonly deployment?: string;
  /** A task running longer than this without its record, or a host behind by as long, is drift. */
  readonly driftSeconds: number;
}

export const STATUS_SETTINGS = {
  zoneName: ZONE_NAME,
  zoneId: ZONE_ID,
  clusters: CLUSTERS,
  route53Endpoint: ROUTE53_ENDPOINT,
  ecsEndpoint: ECS_ENDPOINT,
  deployment: DEPLOYMENT,
  driftSeconds: {
    env: "ECSSD_STATUS_DRIFT_SECONDS",
    meaning:
      "a task running this long without its record is drift (exit 2); younger ones are shown as pending (--drift-seconds)",
    default: 120,
    ...integerCodec({ min: 0, max: 86_400 }),
  },
} as const satisfies SettingsTable<StatusConfig>;

export class StatusConfigError extends Error {
  override name = "StatusConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`Invalid status config:\n${problems.map((p) => ` - ${p}`).join("\n")}`);
  }
}

/** Flags given on the command line; each replaces its setting's variable and is named by its flag in problems. */
export interface StatusFlags {
  readonly driftSeconds?: string;
}

/**
 * Reads `ecssd status`'s settings from the environment and its flags. Throws {@link StatusConfigError} naming
 * every problem: `Invalid status config:\n - [--drift-seconds] must be ...`.
 */
export function statusConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  flags: StatusFlags = {},
): StatusConfig {
  const fromEnv = fromEnvironment(env);
  const lookup = (key: string, setting: Setting<unknown>): SettingText | undefined => {
    if (key === "driftSeconds" && flags.driftSeconds !== undefined)
      return { text: flags.driftSeconds.trim(), source: "--drift-seconds" };
    return fromEnv(key, setting);
  };
  const { values, problems } = readSettings<StatusConfig>(STATUS_SETTINGS, lookup);
  if (problems.length > 0) throw new StatusConfigError(problems);
  return values as StatusConfig;
}
