// `dig` as the DNS client for the contract suite: an implementation we did not write reads what the
// Route53 API wrote.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** One answer of `dig`, split the way a reader of its output sees it. */
export interface DigAnswer {
  /** DNS response code, e.g. NOERROR, NXDOMAIN, REFUSED. */
  readonly status: string;
  readonly answer: DigRecord[];
  readonly authority: DigRecord[];
}

/** One resource record line of dig's output. */
export interface DigRecord {
  readonly name: string;
  readonly ttl: number;
  readonly type: string;
  /** The record data in presentation format, e.g. `1 1 8080 h1.servicediscovery.internal.`. */
  readonly data: string;
}

/** Ask `host:port` for `name`/`type` over UDP with dig (one try, 2 s timeout). */
export async function dig(host: string, port: number, type: string, name: string): Promise<DigAnswer> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync("dig", [
      `@${host}`,
      "-p",
      String(port),
      "+tries=1",
      "+time=2",
      "+nocmd",
      "+nostats",
      type,
      name,
    ]));
  } catch (err) {
    const e = err as { code?: string | number; stdout?: string; message: string };
    if (e.code === "ENOENT") throw new Error("dig is not installed; run scripts/setup-machine.sh");
    throw new Error(`dig ${type} ${name} @${host}:${port} failed: ${e.stdout ?? e.message}`);
  }
  const status = /status: (\w+)/.exec(stdout)?.[1];
  if (!status) throw new Error(`dig printed no status:\n${stdout}`);
  return { status, answer: section(stdout, "ANSWER"), authority: section(stdout, "AUTHORITY") };
}

function section(out: string, title: string): DigRecord[] {
  const start = out.indexOf(`;; ${title} SECTION:`);
  if (start < 0) return [];
  const lines = out.slice(start).split("\n").slice(1);
  const records: DigRecord[] = [];
  for (const line of lines) {
    if (line.trim() === "" || line.startsWith(";;")) break;
    const m = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.*)$/.exec(line.trim());
    if (m) records.push({ name: m[1]!, ttl: Number(m[2]), type: m[3]!, data: m[4]!.trim() });
  }
  return records;
}
