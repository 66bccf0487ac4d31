import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_BASE_IMAGE } from "../images/imageCatalog";
import { RECONCILER_SETTINGS } from "../reconciler/config";
import { serviceOwnersFrom } from "../records/serviceOwners";
import { defaultText } from "../settings/settingsTable";
import { SERVICE_OWNERS_CLOSED, SRV_TTL, ZONE_NAME } from "../settings/sharedSettings";
import { ALARM_DEFAULTS, MIN_STALE_HOST_SECONDS } from "./observability";
import { DEFAULT_ROUTE53_BUDGET, type Route53BudgetShares, route53BudgetFrom } from "./route53BudgetShares";
import { parseScheduleExpression } from "./scheduleExpression";

/** The namespace of every setting this program owns (the project name in Pulumi.yaml). */
export const CONFIG_NAMESPACE = "ecssd";

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** How many NAT gateways the network gets (awsx `NatGatewayStrategy`). */
export type NatGatewayChoice = "Single" | "OnePerAz";

/** The validated settings of one stack. Defaults are those declared in Pulumi.yaml. */
export interface StackConfig {
  readonly region: string;
  readonly zoneName: string;
  readonly vpcCidr: string;
  readonly availabilityZones: number;
  readonly natGateways: NatGatewayChoice;
  readonly instanceType: string;
  readonly desiredCapacity: number;
  readonly minSize: number;
  readonly maxSize: number;
  readonly srvTtl: number;
  readonly reconcileSchedule: string;
  readonly checkHealth: boolean;
  readonly healthPath: string;
  readonly healthTimeoutMs: number;
  readonly healthConcurrency: number;
  readonly stopUnhealthyTasks: boolean;
  readonly dryRun: boolean;
  readonly maxDeleteShare: number;
  readonly logRetentionDays: number;
  readonly baseImage: string;
  readonly examplesUsername: string;
  /** Always a secret Output: it never appears in plain text in state or logs. Absent when the examples are off. */
  readonly examplesPassword?: pulumi.Output<string>;
  /** The example services, their images and the load balancer are created only when true. */
  readonly examples: boolean;
  /** An existing network to use instead of creating one. */
  readonly existingVpc?: ExistingVpc;
  /** An existing ECS cluster (its name) whose EC2 capacity the user manages. */
  readonly clusterName?: string;
  /** An existing private hosted zone (its id); its name is read from AWS. */
  readonly zoneId?: string;
  /**
   * Who may offer which service name (`ecssd:serviceOwners`, an object of name → task-definition families),
   * for the agent, the registrar and the reconciler. The examples' names are added when they are on.
   */
  readonly serviceOwners?: Readonly<Record<string, readonly string[]>>;
  /**
   * A closed namespace (`ecssd:closedNamespace`, ECSSD_SERVICE_OWNERS_CLOSED for the agent, the registrar and
   * the reconciler): a name the owners (the stack's and the examples') do not list may be offered by nobody.
   */
  readonly closedNamespace: boolean;
  /** An ACM certificate in the stack's region: the portal's load balancer then serves HTTPS, and HTTP redirects. */
  readonly certificateArn?: string;
  /**
   * One writer per zone (`ecssd:coalescer`): the agents and the cluster's task events go to the coalescer, which
   * applies them in shared batches. False: every agent and the registrar Lambda write Route53 themselves.
   */
  readonly coalescer: boolean;
  /** The coalescer's shares of the account's Route53 rates (`ecssd:route53Budget`), defaults filled in. */
  readonly route53Budget: Route53BudgetShares;
  /** CloudWatch alarms and the dashboard (`ecssd:alarms`). */
  readonly alarms: boolean;
  /** An SNS topic the alarms notify (`ecssd:alarmTopicArn`); none: they only show in CloudWatch. */
  readonly alarmTopicArn?: string;
  /** Seconds a host may go without its records equalling its containers before its alarm (`ecssd:staleHostSeconds`). */
  readonly staleHostSeconds: number;
}

/** A VPC the stack uses and does not own. */
export interface ExistingVpc {
  readonly vpcId: string;
  readonly privateSubnetIds: readonly string[];
  /** Only when the examples are on: their load balancer's subnets. */
  readonly publicSubnetIds?: readonly string[];
}

/** Every problem found in a stack's settings, thrown once. */
export class StackConfigError extends Error {
  override readonly name = "StackConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`Invalid stack config:\n${problems.map((p) => ` - ${p}`).join("\n")}`);
  }
}

const R = RECONCILER_SETTINGS;

/**
 * Defaults, mirrored in Pulumi.yaml (a test keeps the two equal). Those of settings the stack hands to the
 * agent, the registrar and the reconciler are theirs, from their settings tables.
 */
export const CONFIG_DEFAULTS = {
  zoneName: defaultText(ZONE_NAME),
  vpcCidr: "10.0.0.0/16",
  availabilityZones: "2",
  natGateways: "Single",
  instanceType: "t3.small",
  desiredCapacity: "2",
  minSize: "1",
  maxSize: "4",
  srvTtl: defaultText(SRV_TTL),
  reconcileSchedule: "rate(5 minutes)",
  checkHealth: defaultText(R.checkHealth),
  healthPath: defaultText(R.healthPath),
  healthTimeoutMs: defaultText(R.healthTimeoutMs),
  healthConcurrency: defaultText(R.healthConcurrency),
  stopUnhealthyTasks: defaultText(R.stopUnhealthyTasks),
  dryRun: defaultText(R.dryRun),
  maxDeleteShare: defaultText(R.maxDeleteShare),
  logRetentionDays: "14",
  baseImage: DEFAULT_BASE_IMAGE,
  examplesUsername: "demo",
  // Pulumi.dev.yaml turns them on; any other stack adds discovery to its environment and nothing more.
  examples: "false",
  // Open, as before the setting existed; Pulumi.dev.yaml closes it, and the deploy guide recommends it.
  closedNamespace: defaultText(SERVICE_OWNERS_CLOSED),
  // Fleets are what the program is for: one writer per zone keeps their writes within the account's budget.
  coalescer: "true",
  // Operable by default: an alarm with no topic only shows in CloudWatch, and costs cents a month.
  alarms: "true",
  staleHostSeconds: String(ALARM_DEFAULTS.staleHostSeconds),
} as const satisfies Record<string, string>;

/**
 * The ranges of the integer settings handed to the agent and the reconciler. Each lies within the range its
 * reader enforces (a test keeps it so), which is the truth; a stack narrows one only for a reason of its own.
 */
export const STACK_RANGES = {
  // Records meant to be cached briefly: 0 would send every lookup on to Route53, and beyond an hour a
  // stopped task would linger in the resolvers' caches long after its drain period.
  srvTtl: { min: 1, max: 3600 },
  // Three attempts of the longest timeout must fit in the Lambda's time limit (RECONCILER_TIMEOUT_SECONDS).
  healthTimeoutMs: { min: 100, max: 30_000 },
  healthConcurrency: R.healthConcurrency.range,
} as const;

/** Settings with no default: absent means "create it" (or, for the password, "no examples"). */
const OPTIONAL_KEYS = [
  "examplesPassword",
  "vpcId",
  "privateSubnetIds",
  "publicSubnetIds",
  "clusterName",
  "zoneId",
  "serviceOwners",
  "certificateArn",
  // An object (Pulumi.yaml's schema has none); its default is the coalescer's, filled in by route53BudgetFrom.
  "route53Budget",
  "alarmTopicArn",
] as const;
type ConfigKey = keyof typeof CONFIG_DEFAULTS | (typeof OPTIONAL_KEYS)[number];
const KNOWN_KEYS: ReadonlySet<string> = new Set<string>([...Object.keys(CONFIG_DEFAULTS), ...OPTIONAL_KEYS]);

/**
 * Validates the raw stack configuration (full keys such as `ecssd:instanceType` and `aws:region`,
 * values as the Pulumi engine passes them: strings). Collects every problem and throws one
 * {@link StackConfigError} naming each key in brackets.
 *
 * @example parseStackConfig({ "aws:region": "eu-west-1", "ecssd:examplesPassword": "correct horse battery" })
 */
export function parseStackConfig(input: Readonly<Record<string, string | undefined>>): StackConfig {
  const problems: string[] = [];
  const raw = normalizeKeys(input);
  const value = (key: keyof typeof CONFIG_DEFAULTS): string =>
    raw[`${CONFIG_NAMESPACE}:${key}`] ?? CONFIG_DEFAULTS[key];

  for (const fullKey of Object.keys(raw)) {
    const [namespace, key] = splitKey(fullKey);
    if (namespace === CONFIG_NAMESPACE && !KNOWN_KEYS.has(key)) {
      problems.push(`[${key}] is not a setting of this program (known: ${[...KNOWN_KEYS].join(", ")})`);
    }
  }

  const integer = (key: ConfigKey & keyof typeof CONFIG_DEFAULTS, min: number, max: number): number => {
    const text = value(key).trim();
    const n = Number(text);
    if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n)) {
      problems.push(`[${key}] must be a whole number, got "${value(key)}"`);
      return Number.NaN;
    }
    if (n < min || n > max) problems.push(`[${key}] must be between ${min} and ${max}, got ${n}`);
    return n;
  };
  const ranged = (key: keyof typeof STACK_RANGES): number =>
    integer(key, STACK_RANGES[key].min, STACK_RANGES[key].max);
  const boolean = (key: ConfigKey & keyof typeof CONFIG_DEFAULTS): boolean => {
    const text = value(key).trim().toLowerCase();
    if (text !== "true" && text !== "false") {
      problems.push(`[${key}] must be true or false, got "${value(key)}"`);
    }
    return text === "true";
  };

  const region = raw["aws:region"];
  if (region === undefined || region === "") {
    problems.push("[aws:region] is required: pulumi config set aws:region <region>, e.g. eu-west-1");
  } else if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    problems.push(`[aws:region] must be an AWS region such as eu-west-1, got "${region}"`);
  }

  const zoneName = value("zoneName");
  const zoneProblem = zoneNameProblem(zoneName);
  if (zoneProblem) problems.push(`[zoneName] ${zoneProblem}, got "${zoneName}"`);

  const vpcCidr = value("vpcCidr");
  const cidrProblem = vpcCidrProblem(vpcCidr);
  if (cidrProblem) problems.push(`[vpcCidr] ${cidrProblem}, got "${vpcCidr}"`);

  // An Application Load Balancer needs subnets in at least two zones; awsx lays out at most four.
  const availabilityZones = integer("availabilityZones", 2, 4);
  const natGateways = value("natGateways");
  if (natGateways !== "Single" && natGateways !== "OnePerAz") {
    problems.push(`[natGateways] must be Single or OnePerAz, got "${natGateways}"`);
  }

  const instanceType = value("instanceType");
  if (!/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(instanceType)) {
    problems.push(`[instanceType] must be an EC2 instance type such as t3.small, got "${instanceType}"`);
  }

  const minSize = integer("minSize", 1, 100);
  const maxSize = integer("maxSize", 1, 100);
  const desiredCapacity = integer("desiredCapacity", 1, 100);
  if (minSize <= maxSize && (desiredCapacity < minSize || desiredCapacity > maxSize)) {
    problems.push(`[desiredCapacity] must be between minSize (${minSize}) and maxSize (${maxSize})`);
  }
  if (minSize > maxSize) problems.push(`[minSize] must not exceed maxSize (${minSize} > ${maxSize})`);

  const srvTtl = ranged("srvTtl");

  const reconcileSchedule = value("reconcileSchedule");
  const scheduleProblem = parseScheduleExpression(reconcileSchedule).problem;
  if (scheduleProblem) problems.push(`[reconcileSchedule] ${scheduleProblem}`);

  const checkHealth = boolean("checkHealth");
  const healthPath = value("healthPath");
  if (!/^\/[\x21-\x7e]{0,511}$/.test(healthPath)) {
    problems.push(`[healthPath] must start with / and contain no spaces, got "${healthPath}"`);
  }
  const healthTimeoutMs = ranged("healthTimeoutMs");
  const healthConcurrency = ranged("healthConcurrency");
  const stopUnhealthyTasks = boolean("stopUnhealthyTasks");
  const dryRun = boolean("dryRun");

  const shareText = value("maxDeleteShare").trim();
  const maxDeleteShare = Number(shareText);
  if (!/^\d*\.?\d+$/.test(shareText) || !(maxDeleteShare > 0 && maxDeleteShare <= 1)) {
    problems.push(
      `[maxDeleteShare] must be a number above 0 and at most 1, got "${value("maxDeleteShare")}"`,
    );
  }

  const logRetentionDays = integer("logRetentionDays", 1, 3653);
  const inRange = logRetentionDays >= 1 && logRetentionDays <= 3653;
  if (inRange && !(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    problems.push(
      `[logRetentionDays] must be one of ${LOG_RETENTION_DAYS.join(", ")}, got ${logRetentionDays}`,
    );
  }

  const baseImage = value("baseImage");
  if (!/^[\x21-\x7e]+$/.test(baseImage)) {
    problems.push(`[baseImage] must be an image reference such as ${DEFAULT_BASE_IMAGE}, got "${baseImage}"`);
  }

  const examples = boolean("examples");
  const optional = (key: (typeof OPTIONAL_KEYS)[number]): string | undefined => {
    const text = raw[`${CONFIG_NAMESPACE}:${key}`];
    return text === undefined || text.trim() === "" ? undefined : text.trim();
  };
  const existingVpc = existingVpcOf(
    optional("vpcId"),
    optional("privateSubnetIds"),
    optional("publicSubnetIds"),
    examples,
    problems,
  );
  const clusterName = optional("clusterName");
  if (clusterName !== undefined && !/^[A-Za-z0-9_-]{1,255}$/.test(clusterName)) {
    problems.push(
      `[clusterName] must be an ECS cluster name (letters, digits, - and _), got "${clusterName}"`,
    );
  }
  if (clusterName !== undefined && examples) {
    // The examples' load balancer must reach the instances through their security group, which only a
    // cluster this program creates gives it.
    problems.push(
      "[examples] must be false with clusterName: the examples run only on a cluster this program creates",
    );
  }
  const zoneId = optional("zoneId");
  if (zoneId !== undefined && !/^Z[A-Z0-9]{1,31}$/.test(zoneId)) {
    problems.push(`[zoneId] must be a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ, got "${zoneId}"`);
  }
  if (zoneId !== undefined && raw[`${CONFIG_NAMESPACE}:zoneName`] !== undefined) {
    problems.push("[zoneName] must not be set with zoneId: the zone's name is read from AWS");
  }

  const certificateArn = optional("certificateArn");
  const certificateRegion = /^arn:aws(-cn|-us-gov)?:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]{36}$/.exec(
    certificateArn ?? "",
  )?.[2];
  if (certificateArn !== undefined && certificateRegion === undefined) {
    problems.push(
      `[certificateArn] must be an ACM certificate ARN such as arn:aws:acm:eu-west-1:123456789012:certificate/<id>, got "${certificateArn}"`,
    );
  } else if (certificateArn !== undefined && region !== undefined && certificateRegion !== region) {
    // A load balancer takes certificates of its own region only.
    problems.push(
      `[certificateArn] must be a certificate of the stack's region ${region}, got one of ${certificateRegion}`,
    );
  }

  const examplesUsername = value("examplesUsername");
  // HTTP basic auth separates user and password with the first colon.
  if (!/^[\x21-\x39\x3b-\x7e]{1,64}$/.test(examplesUsername)) {
    problems.push(
      `[examplesUsername] must be 1-64 visible characters without ":", got "${examplesUsername}"`,
    );
  }

  const password = raw[`${CONFIG_NAMESPACE}:examplesPassword`];
  if (!examples) {
    // Nothing uses it; a value left from when the examples were on is harmless.
  } else if (password === undefined || password === "") {
    problems.push(
      "[examplesPassword] is required: pulumi config set --secret ecssd:examplesPassword <at least 12 characters>",
    );
  } else if (!/^[\x21-\x7e]{12,256}$/.test(password)) {
    // The value itself is never echoed.
    problems.push("[examplesPassword] must be 12-256 visible ASCII characters (no spaces)");
  }

  const serviceOwners = serviceOwnersOf(raw[`${CONFIG_NAMESPACE}:serviceOwners`], problems);
  const closedNamespace = boolean("closedNamespace");
  // An invalid map is named above; the examples' own claims are names enough.
  const ownersInvalid = raw[`${CONFIG_NAMESPACE}:serviceOwners`] !== undefined && serviceOwners === undefined;
  if (closedNamespace && !examples && !ownersInvalid && Object.keys(serviceOwners ?? {}).length === 0) {
    problems.push(
      "[closedNamespace] needs names to close over: list owners with ecssd:serviceOwners (or turn ecssd:examples on, which claims the examples' names); a closed namespace with none refuses every service",
    );
  }

  const coalescer = boolean("coalescer");
  const route53Budget = route53BudgetOf(raw[`${CONFIG_NAMESPACE}:route53Budget`], problems);

  const alarms = boolean("alarms");
  const staleHostSeconds = integer("staleHostSeconds", MIN_STALE_HOST_SECONDS, 86_400);
  const alarmTopicArn = optional("alarmTopicArn");
  const topicRegion = /^arn:aws(-cn|-us-gov)?:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}$/.exec(
    alarmTopicArn ?? "",
  )?.[2];
  if (alarmTopicArn !== undefined && topicRegion === undefined) {
    problems.push(
      `[alarmTopicArn] must be an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:oncall, got "${alarmTopicArn}"`,
    );
  } else if (alarmTopicArn !== undefined && region !== undefined && topicRegion !== region) {
    // CloudWatch alarms notify topics of their own region only.
    problems.push(
      `[alarmTopicArn] must be a topic of the stack's region ${region}, got one of ${topicRegion}`,
    );
  }

  if (problems.length > 0) throw new StackConfigError(problems);

  return {
    region: region as string,
    zoneName,
    vpcCidr,
    availabilityZones,
    natGateways: natGateways as NatGatewayChoice,
    instanceType,
    desiredCapacity,
    minSize,
    maxSize,
    srvTtl,
    reconcileSchedule,
    checkHealth,
    healthPath,
    healthTimeoutMs,
    healthConcurrency,
    stopUnhealthyTasks,
    dryRun,
    maxDeleteShare,
    logRetentionDays,
    baseImage,
    examplesUsername,
    ...(examples && { examplesPassword: pulumi.secret(password as string) }),
    examples,
    ...(existingVpc && { existingVpc }),
    ...(clusterName !== undefined && { clusterName }),
    ...(zoneId !== undefined && { zoneId }),
    ...(serviceOwners && { serviceOwners }),
    closedNamespace,
    ...(certificateArn !== undefined && { certificateArn }),
    coalescer,
    route53Budget,
    alarms,
    ...(alarmTopicArn !== undefined && { alarmTopicArn }),
    staleHostSeconds,
  };
}

/** `ecssd:route53Budget`, an object in the stack's YAML (the engine passes it as JSON text), or its default. */
function route53BudgetOf(text: string | undefined, problems: string[]): Route53BudgetShares {
  let value: unknown = {};
  if (text !== undefined && text.trim() !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
  }
  const checked = route53BudgetFrom(value);
  if ("problems" in checked) {
    for (const p of checked.problems) problems.push(`[route53Budget] ${p}`);
    return DEFAULT_ROUTE53_BUDGET;
  }
  return checked.budget;
}

/** `ecssd:serviceOwners`, an object in the stack's YAML (the engine passes it as JSON text), by the writers' rules. */
function serviceOwnersOf(text: string | undefined, problems: string[]): Record<string, string[]> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    problems.push(
      `[serviceOwners] must be an object such as {"_calc._tcp": ["calc"]}, got ${JSON.stringify(text)}`,
    );
    return undefined;
  }
  const checked = serviceOwnersFrom(value);
  if ("problems" in checked) {
    for (const p of checked.problems) problems.push(`[serviceOwners] ${p.message}`);
    return undefined;
  }
  return Object.fromEntries([...checked.owners].map(([name, families]) => [name, [...families]]));
}

/** Reads the running stack's configuration from the Pulumi engine and validates it. */
export function readStackConfig(): StackConfig {
  return parseStackConfig(pulumi.runtime.allConfig());
}

/**
 * The brought network, or undefined when the program creates one. The subnets go with the VPC: private
 * ones always (the instances and the reconciler), public ones when the examples' load balancer needs them.
 */
function existingVpcOf(
  vpcId: string | undefined,
  privateText: string | undefined,
  publicText: string | undefined,
  examples: boolean,
  problems: string[],
): ExistingVpc | undefined {
  if (vpcId === undefined) {
    if (privateText !== undefined)
      problems.push("[privateSubnetIds] is set but vpcId is not: set both, or neither");
    if (publicText !== undefined)
      problems.push("[publicSubnetIds] is set but vpcId is not: set both, or neither");
    return undefined;
  }
  if (!/^vpc-[0-9a-f]{8,17}$/.test(vpcId))
    problems.push(`[vpcId] must be a VPC id such as vpc-0123456789abcdef0, got "${vpcId}"`);
  const privateSubnetIds = subnetList("privateSubnetIds", privateText, 1, problems);
  const publicSubnetIds = examples ? subnetList("publicSubnetIds", publicText, 2, problems) : undefined;
  return { vpcId, privateSubnetIds, ...(publicSubnetIds && { publicSubnetIds }) };
}

/** A subnet list as `pulumi config set --path` stores it (a JSON array) or written by hand, comma-separated. */
function subnetList(key: string, text: string | undefined, min: number, problems: string[]): string[] {
  if (text === undefined) {
    problems.push(`[${key}] is required with vpcId: pulumi config set --path 'ecssd:${key}[0]' subnet-...`);
    return [];
  }
  let ids: unknown;
  try {
    ids = text.startsWith("[") ? JSON.parse(text) : text.split(",").map((id) => id.trim());
  } catch {
    ids = undefined;
  }
  const valid = (id: unknown) => typeof id === "string" && /^subnet-[0-9a-f]{8,17}$/.test(id);
  if (!Array.isArray(ids) || ids.length < min || !ids.every(valid)) {
    problems.push(
      `[${key}] must be ${min} or more subnet ids such as subnet-0123456789abcdef0, got ${JSON.stringify(text)}`,
    );
    return [];
  }
  return ids as string[];
}

/** Older engines pass keys as `ns:config:key`; the program reads `ns:key`. */
function normalizeKeys(
  input: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, v] of Object.entries(input)) out[key.replace(/^([^:]+):config:/, "$1:")] = v;
  return out;
}

function splitKey(fullKey: string): [string, string] {
  const at = fullKey.indexOf(":");
  return at < 0 ? ["", fullKey] : [fullKey.slice(0, at), fullKey.slice(at + 1)];
}

/**
 * Why `name` cannot be a private hosted zone name, or undefined when it can. Stricter than a DNS name
 * (records' dnsNameProblem): the name the stack creates or adopts is written as the zone's canonical form.
 */
export function zoneNameProblem(name: string): string | undefined {
  if (name.endsWith(".")) return "must not end with a dot";
  if (name.length > 253) return "must be at most 253 characters";
  const labels = name.split(".");
  if (labels.length < 2) return "must have at least two labels (e.g. servicediscovery.internal)";
  const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
  if (!labels.every((l) => label.test(l))) {
    return "must be lower-case labels of letters, digits and inner hyphens, 1-63 characters each";
  }
  return undefined;
}

/** Why `cidr` cannot be this program's VPC range, or undefined when it can. */
export function vpcCidrProblem(cidr: string): string | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) return "must be an IPv4 CIDR block such as 10.0.0.0/16";
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255)) return "must be an IPv4 CIDR block such as 10.0.0.0/16";
  // Subnets are carved at prefix+4 (private) and prefix+8 (public); AWS's smallest subnet is /28.
  if (prefix < 16 || prefix > 20) return "must have a prefix length between /16 and /20";
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  if (address % 2 ** (32 - prefix) !== 0) return "must have no host bits set";
  const [a, b] = octets as [number, number];
  const isPrivate = a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  if (!isPrivate) return "must be a private (RFC 1918) range";
  return undefined;
}
