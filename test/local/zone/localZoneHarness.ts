// Shared by the local zone tests: an SDK client bound to a local zone, and `dig` with its
// output parsed into sections, so DNS behaviour is checked by a resolver we did not write.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  type Change,
  ChangeResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from "@aws-sdk/client-route-53";
import type { LocalZone } from "../../../local/zone";

const execFileAsync = promisify(execFile);

// The SDK warns once per process about Node 20 support; the warning is not about our code.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export function route53For(zone: LocalZone, maxAttempts = 1): Route53Client {
  return new Route53Client({
    endpoint: zone.apiUrl,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts,
  });
}

export function fqdn(zone: LocalZone, label: string): string {
  return `${label}.${zone.zoneName}.`;
}

export async function change(client: Route53Client, zone: LocalZone, changes: Change[]): Promise<void> {
  await client.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zone.hostedZoneId,
      ChangeBatch: { Changes: changes },
    }),
  );
}

export function srvSet(
  name: string,
  id: string,
  value: string,
  extra: Partial<ResourceRecordSet> = {},
): ResourceRecordSet {
  return {
    Name: name,
    Type: "SRV",
    SetIdentifier: id,
    MultiValueAnswer: true,
    TTL: 10,
    ResourceRecords: [{ Value: value }],
    ...extra,
  };
}

export function aSet(name: string, ip: string, ttl = 60): ResourceRecordSet {
  return { Name: name, Type: "A", TTL: ttl, ResourceRecords: [{ Value: ip }] };
}

/** Sends `fn`'s promise and returns the error it rejects with (fails when it resolves). */
export async function rejection(
  p: Promise<unknown>,
): Promise<Error & { name: string; messages?: string[]; $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as never;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

export interface DigRecord {
  name: string;
  ttl: number;
  type: string;
  data: string;
}

export interface DigResult {
  status: string;
  flags: string[];
  answer: DigRecord[];
  authority: DigRecord[];
  additional: DigRecord[];
  ednsUdp?: number;
  raw: string;
}

function parseRecord(line: string): DigRecord {
  const [name, ttl, , type, ...data] = line.split(/\s+/);
  return { name: name!, ttl: Number(ttl), type: type!, data: data.join(" ") };
}

/** Parses dig's default output. */
export function parseDig(raw: string): DigResult {
  const status = /status: (\w+)/.exec(raw)?.[1];
  const flags = /;; flags: ([^;]*);/.exec(raw)?.[1];
  if (!status || flags === undefined) throw new Error(`dig printed no answer:\n${raw}`);
  const result: DigResult = {
    status,
    flags: flags.trim().split(/\s+/),
    answer: [],
    authority: [],
    additional: [],
    raw,
  };
  const udp = /; EDNS: version: \d+, flags:[^;]*; udp: (\d+)/.exec(raw);
  if (udp) result.ednsUdp = Number(udp[1]);
  let section: "answer" | "authority" | "additional" | undefined;
  for (const line of raw.split("\n")) {
    if (line.startsWith(";; ANSWER SECTION")) section = "answer";
    else if (line.startsWith(";; AUTHORITY SECTION")) section = "authority";
    else if (line.startsWith(";; ADDITIONAL SECTION")) section = "additional";
    else if (line.trim() === "" || line.startsWith(";")) {
      if (line.trim() === "") section = undefined;
    } else if (section) result[section].push(parseRecord(line));
  }
  return result;
}

/** Runs `dig @host -p port ...args` (bounded: one try, two-second timeout) and parses it. */
export async function dig(zone: LocalZone, ...args: string[]): Promise<DigResult> {
  const { stdout } = await execFileAsync(
    "dig",
    [`@${zone.dns.host}`, "-p", String(zone.dns.port), "+tries=1", "+time=2", ...args],
    { timeout: 10_000 },
  );
  return parseDig(stdout);
}
