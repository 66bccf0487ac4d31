// The response headers `instanceHeaders` adds, for the fetch dispatcher and the http.Agent alike: which instance
// answered and how many were tried. They are ours alone: an instance's own headers of the same names are dropped,
// never passed on beside ours, so an instance cannot say it is another.
import { describeInstance } from "./failover";
import type { Endpoint } from "./srvSelect";

const INSTANCE_HEADER = "x-ecssd-instance";
const ATTEMPTS_HEADER = "x-ecssd-attempts";

/** A header as a name and value. */
export type HeaderPair = [name: string, value: string];

/** Our headers for a response from `endpoint` after `attempts` instances were tried. */
export function instanceHeaders(endpoint: Endpoint, attempts: number): HeaderPair[] {
  return [
    [INSTANCE_HEADER, describeInstance(endpoint)],
    [ATTEMPTS_HEADER, String(attempts)],
  ];
}

/** Whether a header name (any case) is one of ours. Both names are 16 characters long, which rules out most. */
function isOurs(name: string): boolean {
  if (name.length !== 16) return false;
  const lower = name.toLowerCase();
  return lower === INSTANCE_HEADER || lower === ATTEMPTS_HEADER;
}

/** Raw headers (name, value, ...) with an instance's headers of our names left out and ours appended. */
export function replaceRawHeaders<T extends Buffer | string>(
  raw: readonly T[],
  ours: readonly HeaderPair[],
  make: (text: string) => T,
): T[] {
  const out: T[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 16 && isOurs(typeof name === "string" ? name : name.toString("latin1"))) continue;
    out.push(name, raw[i + 1]!);
  }
  for (const [name, value] of ours) out.push(make(name), make(value));
  return out;
}

/** The same for a headers object (undici's newer handler shape, Node's `res.headers`). */
export function replaceHeaders<T extends object, V>(headers: T, ours: readonly [string, V][]): T {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(headers)) {
    if (!isOurs(name)) out[name] = (headers as Record<string, unknown>)[name];
  }
  for (const [name, value] of ours) out[name] = value;
  return out as T;
}
