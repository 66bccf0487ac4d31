// Valid values of every setting, and the other spellings their readers accept, for the round-trip properties
// of each component's settings codec. Numbers are drawn from the tables' own ranges.
import fc from "fast-check";
import type { ServiceOwners } from "../../records";
import type { Setting, SettingsTable } from "../../settings/settingsTable";
import { closedNamespaceProblem } from "../../settings/sharedSettings";

const label = (max: number) => fc.stringMatching(new RegExp(`^[a-z0-9]([a-z0-9-]{0,${max - 2}}[a-z0-9])?$`));
const zoneName = fc.array(label(12), { minLength: 2, maxLength: 4 }).map((labels) => labels.join("."));
const url = fc
  // A host that starts with a letter: one of digits alone would be read as an IPv4 number.
  .tuple(
    fc.constantFrom("http", "https"),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/),
    fc.option(fc.integer({ min: 1, max: 65_535 })),
  )
  .map(([scheme, host, port]) => `${scheme}://${host}${port === null ? "" : `:${port}`}`);
const clusterName = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
const clusterArn = fc
  .tuple(fc.stringMatching(/^[0-9]{12}$/), clusterName)
  .map(([account, name]) => `arn:aws:ecs:eu-west-1:${account}:cluster/${name}`);
const serviceOwners: fc.Arbitrary<ServiceOwners> = fc
  .uniqueArray(
    fc.tuple(
      fc.tuple(label(15), fc.constantFrom("tcp", "udp")).map(([s, p]) => `_${s}._${p}`),
      fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), { minLength: 1, maxLength: 3 }),
    ),
    { selector: ([name]) => name, maxLength: 4 },
  )
  .map((entries) => new Map(entries.map(([name, families]) => [name, new Set(families)])));

const azId = fc.stringMatching(/^[a-z]{2,4}[0-9]-az[0-9]{1,2}$/);

/** Valid values of each setting, by environment variable. */
const VALUES: Record<string, fc.Arbitrary<unknown>> = {
  ECSSD_ZONE_NAME: zoneName,
  ECSSD_ZONE_ID: fc.stringMatching(/^[A-Za-z0-9]{1,64}$/),
  ECSSD_HOST_ID: label(53),
  ECSSD_DEPLOYMENT: label(10),
  ECSSD_HOST_IP: fc.ipV4(),
  ECSSD_ROUTE53_ENDPOINT: url,
  ECSSD_ECS_ENDPOINT: url,
  ECSSD_ECS_AGENT_URL: fc.oneof(fc.constant("off"), url),
  ECSSD_COALESCER_URL: url,
  ECSSD_COALESCER_TOKEN: fc.stringMatching(/^[\x21-\x7e]{32,80}$/),
  ECSSD_COALESCER_ADDRESS: fc.oneof(fc.ipV4(), fc.constant("::")),
  ECSSD_TASK_EVENTS_QUEUE_URL: url,
  ECSSD_ROUTE53_BUDGET: fc.record(
    {
      requests: fc.integer({ min: 1, max: 100 }).map((n) => n / 100),
      changes: fc.integer({ min: 1, max: 100 }).map((n) => n / 100),
    },
    { noNullPrototype: true },
  ),
  ECSSD_ROUTING: fc.constantFrom("multivalue", "weighted"),
  ECSSD_SERVICE_OWNERS: serviceOwners,
  ECSSD_CLUSTERS: fc.uniqueArray(fc.oneof(clusterName, clusterArn), { maxLength: 4 }),
  ECSSD_HEALTH_PATH: fc.stringMatching(/^\/[\x21-\x7e]{0,30}$/),
  ECSSD_MAX_DELETE_SHARE: fc.double({ min: 0, max: 1, noNaN: true }).map((x) => (x === 0 ? 0 : x)),
  ECSSD_INVENTORY: fc.constantFrom("ecs", "docker"),
  ECSSD_AZ_ID: fc.oneof(fc.constant("off"), azId),
  ECSSD_AZ_IDS: fc
    .uniqueArray(fc.tuple(fc.stringMatching(/^[a-z]{2}-[a-z]{2,9}-[1-9][a-z]$/), azId), {
      selector: ([name]) => name,
      // An empty mapping writes as no variable at all, which reads as unset.
      minLength: 1,
      maxLength: 4,
    })
    .map((pairs) => new Map(pairs)),
};

/** A valid value of `setting`: a table's range, or true/false, or one of the above. */
export function valuesOf(setting: Setting<unknown>): fc.Arbitrary<unknown> {
  const known = VALUES[setting.env];
  if (known) return known;
  if (setting.range) return fc.integer(setting.range);
  if (typeof setting.default === "boolean") return fc.boolean();
  throw new Error(`no values for ${setting.env}`);
}

/**
 * A config as its reader returns it: every setting with a default present, the others maybe, and the rules
 * between shared settings kept (a closed namespace lists a name: ECSSD_SERVICE_OWNERS_CLOSED).
 */
export function configOf<C>(
  table: SettingsTable<C>,
  valid: (config: C) => boolean = () => true,
): fc.Arbitrary<C> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const [key, setting] of Object.entries<Setting<unknown>>(table)) {
    model[key] = valuesOf(setting);
    if (setting.default !== undefined) required.push(key);
  }
  return (fc.record(model, { requiredKeys: required, noNullPrototype: true }) as unknown as fc.Arbitrary<C>)
    .filter(
      (config) =>
        closedNamespaceProblem(config as Parameters<typeof closedNamespaceProblem>[0]) === undefined,
    )
    .filter(valid);
}

const spaced = (text: string) =>
  fc.tuple(fc.constantFrom("", " ", "\t"), fc.constantFrom("", " ")).map(([a, b]) => `${a}${text}${b}`);

/** Other spellings of a value's text that its reader takes as the same (case, prefixes, padding, repeats). */
function spellingsOf(env: string, text: string): fc.Arbitrary<string> {
  switch (env) {
    case "ECSSD_ZONE_NAME":
      return fc.constantFrom(text, text.toUpperCase(), `${text}.`);
    case "ECSSD_ZONE_ID":
      return fc.constantFrom(text, `/hostedzone/${text}`, `hostedzone/${text}`);
    case "ECSSD_CLUSTERS":
      return fc.constantFrom(text, `${text},`, text === "" ? "" : `${text}, ${text.split(",")[0]}`);
    case "ECSSD_EMF":
      return fc.constantFrom(text, text.toUpperCase(), `${text[0]?.toUpperCase()}${text.slice(1)}`);
    default:
      if (text === "true") return fc.constantFrom("true", "TRUE", "yes", "1");
      if (text === "false") return fc.constantFrom("false", "False", "no", "0");
      return fc.constant(text);
  }
}

/** An environment its reader accepts, written in any of the spellings it takes. */
export function environmentOf<C>(
  table: SettingsTable<C>,
  write: (config: Partial<C>) => Record<string, string>,
  valid: (config: C) => boolean = () => true,
): fc.Arbitrary<Record<string, string>> {
  const settings = Object.values<Setting<unknown>>(table);
  return configOf(table, valid).chain((config) => {
    const env = write(config);
    const entries = Object.entries(env).map(([name, text]) =>
      spellingsOf(name, text)
        .chain(spaced)
        .map((spelled) => [name, spelled] as const),
    );
    // Unset and empty are the same to every reader.
    const blanks = fc.subarray(settings.filter((s) => !(s.env in env)).map((s) => s.env));
    return fc
      .tuple(fc.tuple(...entries), blanks)
      .map(([spelled, empty]) => Object.fromEntries([...spelled, ...empty.map((name) => [name, ""])]));
  });
}
