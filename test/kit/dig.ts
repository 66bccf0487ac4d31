// `dig` as the tests' and benchmarks' DNS client: an implementation we did not write reads what our
// servers answer. Bounded: one or two tries of two seconds, and the process is killed after ten.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { canonicalName } from "../../records";

const execFileAsync = promisify(execFile);

/** A DNS server on the wire. */
export interface DnsServer {
  readonly host: string;
  readonly port: number;
}

/** A DNS server, or anything that has one (a local zone). */
export type DigTarget = DnsServer | { readonly dns: DnsServer };

/** One resource record line of dig's output. */
export interface DigRecord {
  name: string;
  ttl: number;
  type: string;
  /** The record data in presentation format, e.g. `1 1 8080 h1.servicediscovery.internal.`. */
  data: string;
}

/** dig's answer, split the way a reader of its output sees it. */
export interface DigResult {
  /** DNS response code, e.g. NOERROR, NXDOMAIN, REFUSED. */
  status: string;
  flags: string[];
  answer: DigRecord[];
  authority: DigRecord[];
  additional: DigRecord[];
  ednsUdp?: number;
  raw: string;
}

function serverOf(target: DigTarget): DnsServer {
  return "dns" in target ? target.dns : target;
}

async function runDig(target: DigTarget, args: string[]): Promise<string> {
  const { host, port } = serverOf(target);
  try {
    const { stdout } = await execFileAsync("dig", [`@${host}`, "-p", String(port), ...args], {
      timeout: 10_000,
    });
    return stdout;
  } catch (err) {
    if ((err as { code?: unknown }).code === "ENOENT")
      throw new Error("dig is not installed; run scripts/setup-machine.sh");
    throw err;
  }
}

/** `dig @server ...args` (one try, two-second timeout), its output parsed. */
export async function dig(target: DigTarget, ...args: string[]): Promise<DigResult> {
  return parseDig(await runDig(target, ["+tries=1", "+time=2", ...args]));
}

/** `dig +short`: the answer's data lines as dig prints them (trailing dots kept), sorted. */
export async function digShort(target: DigTarget, type: string, name: string): Promise<string[]> {
  const stdout = await runDig(target, ["+short", "+tries=2", "+time=2", type, name]);
  return stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
}

/** {@link digShort} with every line in canonical form (lower case, no trailing dot), as the record contract writes names. */
export async function digShortCanonical(target: DigTarget, type: string, name: string): Promise<string[]> {
  return (await digShort(target, type, name)).map(canonicalName).sort();
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
