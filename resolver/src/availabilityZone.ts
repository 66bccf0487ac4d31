// The caller's own availability zone, as an AZ ID (use1-az4: the same zone in every account, unlike the name
// us-east-1a), for same-AZ-first selection. Sources are asked one at a time, each bounded; nothing here throws.
import { open } from "node:fs/promises";
import { join } from "node:path";

/** Where an AZ ID came from, or which source was asked and could not give one. */
export type AvailabilityZoneSource = "option" | "ecs-task-metadata" | "imds";

/** The result of {@link discoverAvailabilityZone}: the AZ ID and its source, or why each source failed. */
export type AvailabilityZoneResult =
  | { azId: string; source: AvailabilityZoneSource }
  | { azId: undefined; tried: { source: AvailabilityZoneSource; problem: string }[] };

export interface AvailabilityZoneOptions {
  /** The AZ ID, when the caller knows it. Wins over every endpoint; a malformed one is refused. */
  readonly azId?: string;
  /**
   * AZ name → AZ ID (`{ "us-east-1a": "use1-az4" }`), for the ECS task metadata endpoint, which gives only the
   * name. The mapping differs per account: `aws ec2 describe-availability-zones` prints it. Default: none.
   */
  readonly azIdsByName?: Readonly<Record<string, string>>;
  /** Where environment variables are read (`ECS_CONTAINER_METADATA_URI_V4`, `AWS_EC2_METADATA_DISABLED`). Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The instance metadata service's base URL. Default: `http://169.254.169.254`, asked only on a machine that
   * says it is an EC2 instance (see `sysfsRoot`); when given, it is asked wherever the process runs.
   */
  readonly imdsBaseUrl?: string;
  /** Where the EC2 machine check reads sysfs (`class/dmi/id/...`, `hypervisor/uuid`). Default: `/sys`. */
  readonly sysfsRoot?: string;
  /** The bound on each source, request and body included. Default: 1,000 ms. */
  readonly timeoutMs?: number;
}

/** The shape of an AZ ID: a region code (use1, euw1, apne1, usgw1) then `-az` and a number. */
export const AZ_ID_PATTERN = /^[a-z]{2,4}\d-az\d+$/;

const DEFAULT_IMDS = "http://169.254.169.254";
const DEFAULT_TIMEOUT_MS = 1000;
// The task document lists every container with its labels and networks: a few KB; an AZ ID is a dozen bytes.
const TASK_BODY_LIMIT = 64 * 1024;
const IMDS_BODY_LIMIT = 256;
const DEFAULT_SYSFS = "/sys";
// A sysfs attribute is one short line; anything longer is not what the check looks for.
const SYSFS_READ_LIMIT = 128;

type Found = { azId: string } | { problem: string };

const memo = new WeakMap<object, Promise<AvailabilityZoneResult>>();
const NO_OPTIONS: AvailabilityZoneOptions = {};

/**
 * Finds the AZ ID of the machine this process runs on. Sources, in order: the `azId` option; the ECS task
 * metadata endpoint v4 (its AZ name, mapped to an ID through `azIdsByName`); the EC2 instance metadata
 * service (IMDSv2). Each source is bounded by `timeoutMs`; the result is memoized per options object.
 *
 * The issue that asked for this listed the option last. It is asked first here: an option asked last takes
 * effect only when every endpoint fails, so a caller could never override what an endpoint says, and
 * explicit configuration beating what the environment suggests is the order users expect (the AWS SDKs
 * treat `region` the same way: the client's option, then the environment, then IMDS). It also costs no
 * round trip at start.
 *
 * @example
 * const zone = await discoverAvailabilityZone();
 * if (zone.azId) console.log(`in ${zone.azId}, from ${zone.source}`);
 * else console.log("no AZ:", zone.tried.map((t) => `${t.source}: ${t.problem}`).join("; "));
 */
export function discoverAvailabilityZone(options?: AvailabilityZoneOptions): Promise<AvailabilityZoneResult> {
  const key = options ?? NO_OPTIONS;
  let result = memo.get(key);
  if (!result) {
    result = discover(key);
    memo.set(key, result);
  }
  return result;
}

async function discover(options: AvailabilityZoneOptions): Promise<AvailabilityZoneResult> {
  if (options.azId !== undefined) {
    // An explicit answer that is wrong is the caller's mistake to see, not one to paper over with a guess.
    if (AZ_ID_PATTERN.test(options.azId)) return { azId: options.azId, source: "option" };
    return {
      azId: undefined,
      tried: [{ source: "option", problem: `malformed AZ ID ${quote(options.azId)}` }],
    };
  }
  const tried: { source: AvailabilityZoneSource; problem: string }[] = [];
  const sources: [
    AvailabilityZoneSource,
    (o: AvailabilityZoneOptions, signal: AbortSignal) => Promise<Found>,
  ][] = [
    ["ecs-task-metadata", fromTaskMetadata],
    ["imds", fromImds],
  ];
  for (const [source, ask] of sources) {
    const found = await bounded(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, (signal) => ask(options, signal));
    if ("azId" in found) return { azId: found.azId, source };
    tried.push({ source, problem: found.problem });
  }
  return { azId: undefined, tried };
}

async function fromTaskMetadata(options: AvailabilityZoneOptions, signal: AbortSignal): Promise<Found> {
  const uri = (options.env ?? process.env).ECS_CONTAINER_METADATA_URI_V4;
  if (!uri) return { problem: "ECS_CONTAINER_METADATA_URI_V4 is not set" };
  const res = await fetch(`${uri.replace(/\/+$/, "")}/task`, { signal });
  const text = await readBody(res, TASK_BODY_LIMIT);
  if (typeof text !== "string") return text;
  let task: unknown;
  try {
    task = JSON.parse(text);
  } catch {
    return { problem: "task metadata is not JSON" };
  }
  const name = (task as { AvailabilityZone?: unknown } | null)?.AvailabilityZone;
  // Only Fargate tasks (platform 1.4+) carry AvailabilityZone, and only as a name: AWS's documented response
  // has no AZ ID, and a name means a different zone in each account.
  if (typeof name !== "string" || name === "") return { problem: "task metadata has no AvailabilityZone" };
  const azId = options.azIdsByName?.[name];
  if (azId === undefined)
    return { problem: `task metadata gives the AZ name ${quote(name)}, not in azIdsByName` };
  return checked(azId);
}

async function fromImds(options: AvailabilityZoneOptions, signal: AbortSignal): Promise<Found> {
  // The AWS SDKs' switch for "no instance metadata here": honoured so a process told so does not wait on it.
  if ((options.env ?? process.env).AWS_EC2_METADATA_DISABLED?.toLowerCase() === "true")
    return { problem: "AWS_EC2_METADATA_DISABLED is true" };
  // Every process that makes a resolver asks for its AZ, tests and laptops included: the link-local address
  // is asked only where it can answer, so elsewhere nothing leaves the machine and nothing waits a timeout.
  if (options.imdsBaseUrl === undefined && !(await isEc2Machine(options.sysfsRoot ?? DEFAULT_SYSFS)))
    return { problem: "not an EC2 machine" };
  const base = (options.imdsBaseUrl ?? DEFAULT_IMDS).replace(/\/+$/, "");
  const tokenRes = await fetch(`${base}/latest/api/token`, {
    method: "PUT",
    headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60" },
    signal,
  });
  const token = await readBody(tokenRes, IMDS_BODY_LIMIT);
  if (typeof token !== "string") return { problem: `token: ${token.problem}` };
  const res = await fetch(`${base}/latest/meta-data/placement/availability-zone-id`, {
    headers: { "x-aws-ec2-metadata-token": token.trim() },
    signal,
  });
  const azId = await readBody(res, IMDS_BODY_LIMIT);
  if (typeof azId !== "string") return azId;
  return checked(azId.trim());
}

/**
 * Whether the Linux machine under `sysfsRoot` says it is an EC2 instance, by the signs AWS documents: on Nitro
 * the DMI system vendor "Amazon EC2" and the instance id as the board asset tag; the system UUID (readable by
 * root only) or, on Xen, the hypervisor UUID starting with "ec2". Unreadable files (another OS, a container
 * without sysfs) count as no.
 */
export async function isEc2Machine(sysfsRoot: string): Promise<boolean> {
  const [vendor, assetTag, productUuid, hypervisorUuid] = await Promise.all(
    [
      "class/dmi/id/sys_vendor",
      "class/dmi/id/board_asset_tag",
      "class/dmi/id/product_uuid",
      "hypervisor/uuid",
    ].map((file) => readSmallFile(join(sysfsRoot, file))),
  );
  return (
    vendor === "Amazon EC2" ||
    /^i-[0-9a-f]{8,17}$/.test(assetTag!) ||
    productUuid!.toLowerCase().startsWith("ec2") ||
    hypervisorUuid!.toLowerCase().startsWith("ec2")
  );
}

/** The first bytes of a file, trimmed; "" when it cannot be read. */
async function readSmallFile(path: string): Promise<string> {
  let file: Awaited<ReturnType<typeof open>> | undefined;
  try {
    file = await open(path, "r");
    const buf = Buffer.alloc(SYSFS_READ_LIMIT);
    const { bytesRead } = await file.read(buf, 0, buf.length, 0);
    return buf.toString("latin1", 0, bytesRead).trim();
  } catch {
    return "";
  } finally {
    await file?.close().catch(() => {});
  }
}

function checked(azId: string): Found {
  return AZ_ID_PATTERN.test(azId) ? { azId } : { problem: `malformed AZ ID ${quote(azId)}` };
}

/** One source under one deadline: the request, the body and any error become a `Found`. */
async function bounded(timeoutMs: number, ask: (signal: AbortSignal) => Promise<Found>): Promise<Found> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await ask(controller.signal);
  } catch (err) {
    if (controller.signal.aborted) return { problem: `no answer within ${timeoutMs} ms` };
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { problem: cause?.code ?? cause?.message ?? (err as Error).message ?? String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** The body as text, or a problem: a status other than 200, or more than `limit` bytes. */
async function readBody(res: Response, limit: number): Promise<string | { problem: string }> {
  if (res.status !== 200) {
    await res.body?.cancel();
    return { problem: `HTTP ${res.status}` };
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return { problem: `body over ${limit} bytes` };
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}
